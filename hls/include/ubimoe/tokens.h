// ubimoe kernel library: moving activation rows and parameter vectors between AXI words and
// on-chip arrays. Layout (docs/weights.md): fields packed from bit 0 upwards, never straddling a
// word; every row / vector starts on a word boundary.
#ifndef UBIMOE_TOKENS_H
#define UBIMOE_TOKENS_H

#include "common.h"

namespace ubimoe {

// CFG: word_t, act_t, AXI_BITS, ACT_BITS, ACTS_PER_WORD, ROW_WORDS, DIM, MAX_ROWS.
// Reads `rows` rows of DIM activations (one burst of rows·ROW_WORDS words).
template <class CFG>
void read_rows(const typename CFG::word_t *src, unsigned rows, typename CFG::act_t dst[CFG::MAX_ROWS][CFG::DIM]) {
  const unsigned max_rows = CFG::MAX_ROWS;
read_rows_loop:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
  read_words:
    for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
#pragma HLS PIPELINE II=1
      typename CFG::act_t fields[CFG::ACTS_PER_WORD];
      unpack_word<typename CFG::act_t, CFG::ACT_BITS, CFG::ACTS_PER_WORD, CFG::AXI_BITS>(src[r * CFG::ROW_WORDS + wi], fields);
    unpack:
      for (unsigned l = 0; l < CFG::ACTS_PER_WORD; l++) {
#pragma HLS UNROLL
        const unsigned d = wi * CFG::ACTS_PER_WORD + l;
        if (d < CFG::DIM) dst[r][d] = fields[l];
      }
    }
  }
}

// Writes `rows` rows of DIM activations (unused high fields of a row's last word are zero).
template <class CFG>
void write_rows(const typename CFG::act_t src[CFG::MAX_ROWS][CFG::DIM], unsigned rows, typename CFG::word_t *dst) {
  const unsigned max_rows = CFG::MAX_ROWS;
write_rows_loop:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
  write_words:
    for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
#pragma HLS PIPELINE II=1
      typename CFG::word_t word = 0;
    pack:
      for (unsigned l = 0; l < CFG::ACTS_PER_WORD; l++) {
#pragma HLS UNROLL
        const unsigned d = wi * CFG::ACTS_PER_WORD + l;
        if (d < CFG::DIM) set_word_field<CFG::ACT_BITS, CFG::AXI_BITS>(word, l, bits_of<CFG::ACT_BITS>(src[r][d]));
      }
      dst[r * CFG::ROW_WORDS + wi] = word;
    }
  }
}

// Reads a vector of N values of type T (BITS wide, PER_WORD to a word) starting at word `off`.
template <class T, int BITS, unsigned PER_WORD, unsigned N, int AXI>
void read_vector(const ap_uint<AXI> *src, unsigned off, T dst[N]) {
read_vector_words:
  for (unsigned wi = 0; wi < (N + PER_WORD - 1) / PER_WORD; wi++) {
#pragma HLS PIPELINE II=1
    T fields[PER_WORD];
    unpack_word<T, BITS, PER_WORD, AXI>(src[off + wi], fields);
  unpack:
    for (unsigned l = 0; l < PER_WORD; l++) {
#pragma HLS UNROLL
      const unsigned i = wi * PER_WORD + l;
      if (i < N) dst[i] = fields[l];
    }
  }
}

}  // namespace ubimoe

#endif
