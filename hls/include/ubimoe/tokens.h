// ubimoe kernel library: moving activation rows and parameter vectors between AXI words and
// on-chip arrays. Layout (docs/weights.md): fields packed from bit 0 upwards, never straddling a
// word; every row / vector starts on a word boundary.
//
// Timing (ubimoe/timing.h; CFG::TIMING or TM: latencies and the kernel's port rate): each call is
// its own loop instance (Vitis does not flatten across calls: UBIMOE_CYCLES(0) on entry), a
// perfect row × word (or row × step) nest is one flattened II=1 loop, and an m_axi row loop one
// burst. gather_rows / scatter_add_rows read a row index between the loops (an imperfect nest:
// one loop instance per row).
#ifndef UBIMOE_TOKENS_H
#define UBIMOE_TOKENS_H

#include <hls_stream.h>

#include "common.h"
#include "timing.h"

namespace ubimoe {

// Token arrays come in two layouts: [rows][DIM], or [rows/LANES][LANES][DIM] when a linear
// engine (linear.h) reads or writes LANES rows per cycle: its lane dimension is completely
// partitioned, so row r = g·LANES + l sits in bank l, a static index for any LANES (with a
// cyclic partition by LANES over [rows], HLS cannot prove the bank of g·LANES + l unless LANES
// is a power of two). The helpers below take either (as the pointer an array argument is, to
// its row type R: T[DIM] or T[LANES][DIM]) and walk rows one at a time: row_lanes<R> is the
// layout's lane count (1 for [rows][DIM]); a row is addressed as (group, lane).
// The partitions are the kernel's, at the arrays' declarations (never on these arguments).
template <class R>
struct row_lanes {
  static const unsigned value = 1;
};
template <class T, unsigned L, unsigned C>
struct row_lanes<T[L][C]> {
  static const unsigned value = L;
};

// Element c of row (g, l): [rows][DIM] has one lane (l is 0).
template <class T, unsigned C>
inline T &row_elem(T (*a)[C], unsigned g, unsigned l, unsigned c) {
  (void)l;
  return a[g][c];
}
template <class T, unsigned L, unsigned C>
inline T &row_elem(T (*a)[L][C], unsigned g, unsigned l, unsigned c) {
  return a[g][l][c];
}

// Row t as (group, lane) (a run-time row: one row per loop instance).
template <class R>
inline void row_of(unsigned t, unsigned &g, unsigned &l) {
  g = t / row_lanes<R>::value;
  l = t % row_lanes<R>::value;
}

// The next row's (group, lane).
template <class R>
inline void next_row(unsigned &g, unsigned &l) {
  if (++l == row_lanes<R>::value) {
    l = 0;
    g++;
  }
}

// Word `wi` of a row of DIM activations, unpacked into row (g, l) of dst (read_rows and
// read_weight_rows differ only in where the word comes from and at what rate).
template <class CFG, class D>
inline void store_row_word(const typename CFG::word_t &word, unsigned wi, D *dst, unsigned g, unsigned l) {
  typename CFG::act_t fields[CFG::ACTS_PER_WORD];
  unpack_word<typename CFG::act_t, CFG::ACT_BITS, CFG::ACTS_PER_WORD, CFG::AXI_BITS>(word, fields);
unpack:
  for (unsigned k = 0; k < CFG::ACTS_PER_WORD; k++) {
#pragma HLS UNROLL
    const unsigned d = wi * CFG::ACTS_PER_WORD + k;
    if (d < CFG::DIM) row_elem(dst, g, l, d) = fields[k];
  }
}

// CFG: word_t, act_t, AXI_BITS, ACT_BITS, ACTS_PER_WORD, ROW_WORDS, DIM, MAX_ROWS.
// Streams the words of `rows` rows of DIM activations (one burst of rows·ROW_WORDS words): the
// first process of layernorm.h read_layernorm's region, which unpacks them.
template <class CFG>
void read_rows(const typename CFG::word_t *src, unsigned rows, hls::stream<typename CFG::word_t, 2> &words) {
  UBIMOE_PROCESS("read_rows");
  typedef typename CFG::TIMING TM;
  const unsigned max_words = CFG::MAX_ROWS * CFG::ROW_WORDS;
read_rows_words:
  for (unsigned i = 0; i < rows * CFG::ROW_WORDS; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_words
    UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
    UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
    words.write(src[i]);
  }
}

// read_rows for rows in a weight region on P ports (patch_embed's cls_token and pos_embed): rows
// of DIM activations from word `off`, one word per cycle (common.h weight_word).
template <class CFG, unsigned P, class D>
void read_weight_rows(const typename CFG::word_t *w0, const typename CFG::word_t *w1, const typename CFG::word_t *w2,
                      const typename CFG::word_t *w3, unsigned off, unsigned rows, D *dst) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
  UBIMOE_CYCLES(0);
  unsigned g = 0, l0 = 0;
read_weight_rows_loop:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
  read_weight_words:
    for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
      UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
      UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::WEIGHT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
      store_row_word<CFG>(weight_word<P>(w0, w1, w2, w3, off + r * CFG::ROW_WORDS + wi), wi, dst, g, l0);
    }
    next_row<D>(g, l0);
  }
}

// Reads `rows` rows of DIM activations from src (one burst) into an array (any element type:
// converted from act_t), the mirror of write_rows (vit_block's x into its residual).
template <class CFG, class D>
void load_rows(const typename CFG::word_t *src, unsigned rows, D *dst) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
  UBIMOE_CYCLES(0);
  unsigned g = 0, l0 = 0;
load_rows_loop:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
  load_words:
    for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
      UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
      UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
      store_row_word<CFG>(src[r * CFG::ROW_WORDS + wi], wi, dst, g, l0);
    }
    next_row<D>(g, l0);
  }
}

// Writes `rows` rows of DIM activations (unused high fields of a row's last word are zero); a wider
// source (ffn_block's residual accumulator) is rounded and saturated to act_t on the way.
template <class CFG, class S>
void write_rows(const S *src, unsigned rows, typename CFG::word_t *dst) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
  UBIMOE_CYCLES(0);
  unsigned g = 0, l0 = 0;
write_rows_loop:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
  write_words:
    for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
      UBIMOE_PIPELINE(1, TM::AXI_WRITE_DEPTH);
      UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
      typename CFG::word_t word = 0;
    pack:
      for (unsigned l = 0; l < CFG::ACTS_PER_WORD; l++) {
#pragma HLS UNROLL
        const unsigned d = wi * CFG::ACTS_PER_WORD + l;
        if (d < CFG::DIM)
          set_word_field<CFG::ACT_BITS, CFG::AXI_BITS>(
              word, l, bits_of<CFG::ACT_BITS>(typename CFG::act_t(row_elem(src, g, l0, d))));
      }
      dst[r * CFG::ROW_WORDS + wi] = word;
    }
    next_row<S>(g, l0);
  }
}

// Reads a vector of N weights of type T (BITS wide, PER_WORD to a word) starting at word `off` of a
// weight region on P ports (common.h weight_word; one word per cycle, one burst per port; TM: the
// kernel's timing struct, WEIGHT_BYTE_UNITS_PER_CYCLE the P ports together).
template <class TM, class T, int BITS, unsigned PER_WORD, unsigned N, int AXI, unsigned P>
void read_vector(const ap_uint<AXI> *w0, const ap_uint<AXI> *w1, const ap_uint<AXI> *w2, const ap_uint<AXI> *w3,
                 unsigned off, T dst[N]) {
  UBIMOE_CYCLES(0);
read_vector_words:
  for (unsigned wi = 0; wi < (N + PER_WORD - 1) / PER_WORD; wi++) {
    UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
    UBIMOE_AXI_BURST(TM::BYTE_UNITS * (AXI / 8), TM::WEIGHT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
    T fields[PER_WORD];
    unpack_word<T, BITS, PER_WORD, AXI>(weight_word<P>(w0, w1, w2, w3, off + wi), fields);
  unpack:
    for (unsigned l = 0; l < PER_WORD; l++) {
#pragma HLS UNROLL
      const unsigned i = wi * PER_WORD + l;
      if (i < N) dst[i] = fields[l];
    }
  }
}

// Element-wise row operations of the top kernels (residual adds, copies, expert gather/scatter):
// ELEM_LANES elements of a row per cycle (the kernel's tile_out), each element computed exactly
// as a one-lane loop would. CFG: TOKENS DIM ELEM_LANES. The last step of a row may be partly
// empty (validation makes tile_out divide DIM, but the loops do not rely on it). The arrays need
// dim DIM cyclic by >= ELEM_LANES (the kernel's partitions).

// dst[t] = src[t] (converted to dst's type) for the first `rows` rows.
template <class CFG, class S, class D>
void copy_rows(const S *src, unsigned rows, D *dst) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
  unsigned gs = 0, ls = 0, gd = 0, ld = 0;
copy_rows_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) row_elem(dst, gd, ld, d) = row_elem(src, gs, ls, d);
      }
    }
    next_row<S>(gs, ls);
    next_row<D>(gd, ld);
  }
}

// dst[i] = src[idx[which][i]] for i < rows (expert `which`'s queued tokens), into dst's columns
// COL0 .. COL0 + DIM (a multiple of ELEM_LANES: static banks). The queue array and its index are
// passed, not a row of it at a run-time offset.
template <class CFG, unsigned COL0 = 0, class S, class D, unsigned T>
void gather_rows(const S *src, const unsigned (*idx)[T], unsigned which, unsigned rows, D *dst) {
  static_assert(COL0 % CFG::ELEM_LANES == 0, "gather_rows: the destination columns start on a bank boundary");
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
  unsigned gd = 0, ld = 0;
gather_rows_rows:
  for (unsigned i = 0; i < rows; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    unsigned gs, ls;
    row_of<S>(idx[which][i], gs, ls);
    UBIMOE_CYCLES(0);  // not flattened: one loop instance per row
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) row_elem(dst, gd, ld, COL0 + d) = row_elem(src, gs, ls, d);
      }
    }
    next_row<D>(gd, ld);
  }
}

}  // namespace ubimoe

#endif
