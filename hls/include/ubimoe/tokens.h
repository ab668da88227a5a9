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

#include "common.h"
#include "timing.h"

namespace ubimoe {

// CFG: word_t, act_t, AXI_BITS, ACT_BITS, ACTS_PER_WORD, ROW_WORDS, DIM, MAX_ROWS.
// Reads `rows` rows of DIM activations (one burst of rows·ROW_WORDS words).
template <class CFG>
void read_rows(const typename CFG::word_t *src, unsigned rows, typename CFG::act_t dst[CFG::MAX_ROWS][CFG::DIM]) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
  UBIMOE_CYCLES(0);
read_rows_loop:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
  read_words:
    for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
      UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
      UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
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
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
  UBIMOE_CYCLES(0);
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
        if (d < CFG::DIM) set_word_field<CFG::ACT_BITS, CFG::AXI_BITS>(word, l, bits_of<CFG::ACT_BITS>(src[r][d]));
      }
      dst[r * CFG::ROW_WORDS + wi] = word;
    }
  }
}

// Reads a vector of N values of type T (BITS wide, PER_WORD to a word) starting at word `off`
// (one burst; TM: the kernel's timing struct).
template <class TM, class T, int BITS, unsigned PER_WORD, unsigned N, int AXI>
void read_vector(const ap_uint<AXI> *src, unsigned off, T dst[N]) {
  UBIMOE_CYCLES(0);
read_vector_words:
  for (unsigned wi = 0; wi < (N + PER_WORD - 1) / PER_WORD; wi++) {
    UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
    UBIMOE_AXI_BURST(TM::BYTE_UNITS * (AXI / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
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

// Element-wise row operations of the top kernels (residual adds, copies, expert gather/scatter):
// ELEM_LANES elements of a row per cycle (the kernel's tile_out), each element computed exactly
// as a one-lane loop would. CFG: TOKENS DIM ELEM_LANES. The last step of a row may be partly
// empty (validation makes tile_out divide DIM, but the loops do not rely on it).

// acc[t] = acc[t] + b[t] for the first `rows` rows.
template <class CFG, class A, class B>
void add_rows_into(A acc[CFG::TOKENS][CFG::DIM], const B b[CFG::TOKENS][CFG::DIM], unsigned rows) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
#pragma HLS ARRAY_PARTITION variable=acc cyclic factor=L dim=2
#pragma HLS ARRAY_PARTITION variable=b cyclic factor=L dim=2
add_rows_into_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) acc[r][d] = acc[r][d] + b[r][d];
      }
    }
  }
}

// out[t] = a[t] + b[t] for the first `rows` rows.
template <class CFG, class A, class B, class O>
void add_rows(const A a[CFG::TOKENS][CFG::DIM], const B b[CFG::TOKENS][CFG::DIM], unsigned rows,
              O out[CFG::TOKENS][CFG::DIM]) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
#pragma HLS ARRAY_PARTITION variable=a cyclic factor=L dim=2
#pragma HLS ARRAY_PARTITION variable=b cyclic factor=L dim=2
#pragma HLS ARRAY_PARTITION variable=out cyclic factor=L dim=2
add_rows_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) out[r][d] = a[r][d] + b[r][d];
      }
    }
  }
}

// dst[t] = src[t] (converted to dst's type) for the first `rows` rows.
template <class CFG, class S, class D>
void copy_rows(const S src[CFG::TOKENS][CFG::DIM], unsigned rows, D dst[CFG::TOKENS][CFG::DIM]) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
#pragma HLS ARRAY_PARTITION variable=src cyclic factor=L dim=2
#pragma HLS ARRAY_PARTITION variable=dst cyclic factor=L dim=2
copy_rows_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) dst[r][d] = src[r][d];
      }
    }
  }
}

// dst[i] = src[idx[i]] for i < rows (an expert's queued tokens).
template <class CFG, class T>
void gather_rows(const T src[CFG::TOKENS][CFG::DIM], const unsigned idx[CFG::TOKENS], unsigned rows,
                 T dst[CFG::TOKENS][CFG::DIM]) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
#pragma HLS ARRAY_PARTITION variable=src cyclic factor=L dim=2
#pragma HLS ARRAY_PARTITION variable=dst cyclic factor=L dim=2
gather_rows_rows:
  for (unsigned i = 0; i < rows; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    const unsigned t = idx[i];
    UBIMOE_CYCLES(0);  // not flattened: one loop instance per row
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) dst[i][d] = src[t][d];
      }
    }
  }
}

// acc[idx[i]] += p[i] · y[i] for i < rows (an expert's score-weighted output, scattered back).
template <class CFG, class A, class P, class Y>
void scatter_add_rows(A acc[CFG::TOKENS][CFG::DIM], const unsigned idx[CFG::TOKENS], const P p[CFG::TOKENS],
                      const Y y[CFG::TOKENS][CFG::DIM], unsigned rows) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::TOKENS, L = CFG::ELEM_LANES, steps = (CFG::DIM + L - 1) / L;
  UBIMOE_CYCLES(0);
#pragma HLS ARRAY_PARTITION variable=acc cyclic factor=L dim=2
#pragma HLS ARRAY_PARTITION variable=y cyclic factor=L dim=2
scatter_add_rows_rows:
  for (unsigned i = 0; i < rows; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    const unsigned t = idx[i];
    const P pi = p[i];
    UBIMOE_CYCLES(0);  // not flattened: one loop instance per row
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) acc[t][d] += pi * y[i][d];
      }
    }
  }
}

}  // namespace ubimoe

#endif
