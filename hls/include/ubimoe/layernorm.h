// ubimoe kernel library: LayerNorm (eps inside the square root, biased variance, as PyTorch).
// Per row: mean = Σx · (1/D); var = Σ (d/√D)² with d = x − mean (so no wide divide);
// rsqrt(var + eps) as a normalised mantissa/exponent pair (nonlinear.h); y = d·rsqrt·γ + β.
// |d·rsqrt| <= √D, so the shift by the exponent cannot overflow.
// Streaming: one dataflow region whose processes each take a row CHUNK elements per cycle, so
// rows overlap: the source (an m_axi reader and a splitter that also stores the residual, or an
// array), mean, variance, rsqrt and output. The variance of row r waits for its mean, the output for its rsqrt:
// the chunks of a row wait in FIFOs of FIFO_DEPTH (CHUNKS_PER_ROW plus the stages' latencies,
// src/kernels/latency.ts layerNormPlan), so a row costs CHUNKS_PER_ROW cycles in steady state.
// CHUNK divides the AXI word's fields (a reader word is split into WORD_CHUNKS chunks) and is at
// most LANES (the kernel's tile_in: the banks of its arrays).
// Each pass keeps one partial sum per lane and adds them at the end of the row. sum_t and var_t
// are plain wrap-around fixed point wide enough to be exact and every term is quantised exactly
// as in a serial loop, so the result is bit-identical to one lane (for any CHUNK).
// Timing (ubimoe/timing.h): γ and β are two bursts at the output process's start; every process
// is one flattened II=1 loop over rows × chunks (the rsqrt one over rows).
// (The g++ csim once computed this wrongly under -O2 -march=native: a GCC 12 vectoriser bug with
// per-lane partial sums, avoided in hls/csim since; docs/csim.md, "Known hazard".)
#ifndef UBIMOE_LAYERNORM_H
#define UBIMOE_LAYERNORM_H

#include "common.h"
#include "nonlinear.h"
#include "timing.h"
#include "tokens.h"

namespace ubimoe {

// CFG: word_t in_t norm_t sum_t sum32_t invd_t mean_t diff_t isd_t dn_t var_t mant_t scaled_t
// xhat_t out_t; AXI_BITS DIM MAX_ROWS LANES CHUNK WORD_CHUNKS CHUNKS_PER_ROW FIFO_DEPTH PARAM_BANKS NORM_BITS
// NORM_PER_WORD VECTOR_WORDS INV_DIM_BITS INV_DIM_RAW INV_SQRT_DIM_BITS INV_SQRT_DIM_RAW EPS_RAW
// VAR_BITS VAR_FRAC SCALED_BITS RSQRT_UNITS (one rsqrt unit, nonlinear.h).
// γ at word `off`, β at `off + BETA_OFFSET` of the kernel's weight region on WEIGHT_PORTS ports
// (w0..w3, common.h).
// x and y: [MAX_ROWS][DIM] or [groups][lanes][DIM] (tokens.h; X, Y their row types), DIM cyclic by >= LANES (the
// kernel partitions them where it declares them).

// CHUNK elements of a row (the last chunks of a row may reach past DIM: zeros, never used).
template <class CFG>
struct ln_chunk {
  typename CFG::in_t v[CFG::CHUNK];
};
template <class CFG>
struct ln_stats {
  typename CFG::mean_t mean;
  typename CFG::var_t var;  // + eps
};
template <class CFG>
struct ln_scale {
  typename CFG::mean_t mean;
  typename CFG::mant_t mant;
  int exp2;
};

// Source: the AXI words of `rows` rows (tokens.h read_rows streams them) split into chunks, each
// also stored into x (the kernel's residual, any element type: converted).
template <class CFG, class X>
void ln_split(unsigned rows, hls::stream<typename CFG::word_t, 2> &words, X *x, hls::stream<ln_chunk<CFG>, 2> &out) {
  UBIMOE_PROCESS("ln_split");
  typedef typename CFG::TIMING TM;
  const unsigned max_chunks = CFG::MAX_ROWS * CFG::CHUNKS_PER_ROW;
  typename CFG::word_t cur = 0;
  unsigned k = 0, c = 0, g = 0, l0 = 0;  // chunk k of the current word, chunk c of row (g, l0)
ln_split_chunks:
  for (unsigned i = 0; i < rows * CFG::CHUNKS_PER_ROW; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_chunks
    UBIMOE_PIPELINE(1, TM::LAYERNORM_SPLIT_DEPTH);
    if (k == 0) cur = words.read();
    ln_chunk<CFG> v;
    for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
      v.v[l] = from_bits<typename CFG::in_t, CFG::ACT_BITS>(word_field<CFG::ACT_BITS, CFG::AXI_BITS>(cur, l));
      const unsigned d = c * CFG::CHUNK + l;
      if (d < CFG::DIM) row_elem(x, g, l0, d) = v.v[l];
    }
    out.write(v);
    if (CFG::WORD_CHUNKS > 1) cur = cur >> (CFG::CHUNK * CFG::ACT_BITS);
    k = k + 1 == CFG::WORD_CHUNKS ? 0 : k + 1;
    if (++c == CFG::CHUNKS_PER_ROW) {
      c = 0;
      next_row<X>(g, l0);
    }
  }
}

// Source: `rows` rows of an on-chip array, CHUNK elements per cycle.
template <class CFG, class X>
void ln_array_rows(const X *x, unsigned rows, hls::stream<ln_chunk<CFG>, 2> &out) {
  UBIMOE_PROCESS("ln_rows");
  typedef typename CFG::TIMING TM;
  const unsigned max_chunks = CFG::MAX_ROWS * CFG::CHUNKS_PER_ROW;
  unsigned g = 0, l0 = 0, c = 0;
ln_rows_chunks:
  for (unsigned i = 0; i < rows * CFG::CHUNKS_PER_ROW; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_chunks
    UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
    ln_chunk<CFG> v;
    for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
      const unsigned d = c * CFG::CHUNK + l;
      v.v[l] = d < CFG::DIM ? typename CFG::in_t(row_elem(x, g, l0, d)) : typename CFG::in_t(0);
    }
    out.write(v);
    if (++c == CFG::CHUNKS_PER_ROW) {
      c = 0;
      next_row<X>(g, l0);
    }
  }
}

// The mean of each row; the chunks pass on to the variance.
template <class CFG>
void ln_mean(unsigned rows, hls::stream<ln_chunk<CFG>, 2> &in, hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> &out,
             hls::stream<typename CFG::mean_t, 2> &means) {
  UBIMOE_PROCESS("ln_mean");
  typedef typename CFG::TIMING TM;
  const unsigned max_chunks = CFG::MAX_ROWS * CFG::CHUNKS_PER_ROW;
  const typename CFG::invd_t inv_dim =
      from_bits<typename CFG::invd_t, CFG::INV_DIM_BITS>(ap_uint<CFG::INV_DIM_BITS>(CFG::INV_DIM_RAW));
  typename CFG::sum_t sum_lane[CFG::CHUNK];
#pragma HLS ARRAY_PARTITION variable=sum_lane complete
  unsigned c = 0;
ln_mean_chunks:
  for (unsigned i = 0; i < rows * CFG::CHUNKS_PER_ROW; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_chunks
    UBIMOE_PIPELINE(1, TM::LAYERNORM_SUM_DEPTH + TM::LAYERNORM_MEAN_CYCLES);
    const ln_chunk<CFG> v = in.read();
    for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
      const typename CFG::sum_t before = c == 0 ? typename CFG::sum_t(0) : sum_lane[l];
      sum_lane[l] = c * CFG::CHUNK + l < CFG::DIM ? typename CFG::sum_t(before + v.v[l]) : before;
    }
    out.write(v);
    if (c == CFG::CHUNKS_PER_ROW - 1) {
      typename CFG::sum_t sum = 0;
      for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
        sum += sum_lane[l];
      }
      means.write(typename CFG::mean_t(typename CFG::sum32_t(sum) * inv_dim));
    }
    c = c + 1 == CFG::CHUNKS_PER_ROW ? 0 : c + 1;
  }
}

// The variance of each row (+ eps), once its mean has arrived; the chunks pass on to the output.
template <class CFG>
void ln_var(unsigned rows, hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> &in, hls::stream<typename CFG::mean_t, 2> &means,
            hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> &out, hls::stream<ln_stats<CFG>, 2> &stats) {
  UBIMOE_PROCESS("ln_var");
  typedef typename CFG::diff_t diff_t;
  typedef typename CFG::TIMING TM;
  const unsigned max_chunks = CFG::MAX_ROWS * CFG::CHUNKS_PER_ROW;
  const typename CFG::isd_t inv_sqrt_dim =
      from_bits<typename CFG::isd_t, CFG::INV_SQRT_DIM_BITS>(ap_uint<CFG::INV_SQRT_DIM_BITS>(CFG::INV_SQRT_DIM_RAW));
  const typename CFG::var_t eps = from_bits<typename CFG::var_t, CFG::VAR_BITS>(ap_uint<CFG::VAR_BITS>(CFG::EPS_RAW));
  typename CFG::var_t var_lane[CFG::CHUNK];
#pragma HLS ARRAY_PARTITION variable=var_lane complete
  typename CFG::mean_t mean = 0;
  unsigned c = 0;
ln_var_chunks:
  for (unsigned i = 0; i < rows * CFG::CHUNKS_PER_ROW; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_chunks
    UBIMOE_PIPELINE(1, TM::LAYERNORM_VAR_DEPTH);
    if (c == 0) mean = means.read();
    const ln_chunk<CFG> v = in.read();
    for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
      const typename CFG::var_t before = c == 0 ? typename CFG::var_t(0) : var_lane[l];
      const diff_t dd = v.v[l] - mean;
      const typename CFG::dn_t dn = dd * inv_sqrt_dim;
      var_lane[l] = c * CFG::CHUNK + l < CFG::DIM ? typename CFG::var_t(before + dn * dn) : before;
    }
    out.write(v);
    if (c == CFG::CHUNKS_PER_ROW - 1) {
      ln_stats<CFG> st;
      st.mean = mean;
      st.var = eps;
      for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
        st.var += var_lane[l];
      }
      stats.write(st);
    }
    c = c + 1 == CFG::CHUNKS_PER_ROW ? 0 : c + 1;
  }
}

// rsqrt(var + eps) of each row (one rsqrt unit, pipelined over rows).
template <class CFG>
void ln_rsqrt(unsigned rows, hls::stream<ln_stats<CFG>, 2> &stats, hls::stream<ln_scale<CFG>, 2> &scales) {
  UBIMOE_PROCESS("ln_rsqrt");
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
ln_rsqrt_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    UBIMOE_PIPELINE(1, TM::LAYERNORM_RSQRT_CYCLES);
    const ln_stats<CFG> st = stats.read();
    ap_uint<25> mant_bits;
    ln_scale<CFG> sc;
    rsqrt_q24<CFG::VAR_BITS, CFG::VAR_FRAC>(bits_of<CFG::VAR_BITS>(st.var), mant_bits, sc.exp2);
    sc.mean = st.mean;
    sc.mant = from_bits<typename CFG::mant_t, 25>(mant_bits);
    scales.write(sc);
  }
}

// y = (x − mean) · rsqrt · γ + β, once the row's rsqrt has arrived; γ and β load first.
template <class CFG, class Y>
void ln_out(unsigned rows, const typename CFG::word_t *w0, const typename CFG::word_t *w1,
            const typename CFG::word_t *w2, const typename CFG::word_t *w3, unsigned off,
            hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> &in, hls::stream<ln_scale<CFG>, 2> &scales, Y *y) {
  UBIMOE_PROCESS("ln_out");
  typedef typename CFG::diff_t diff_t;
  typedef typename CFG::TIMING TM;
  const unsigned max_chunks = CFG::MAX_ROWS * CFG::CHUNKS_PER_ROW, F = CFG::PARAM_BANKS;
  typename CFG::norm_t gamma[CFG::DIM], beta[CFG::DIM];
#pragma HLS ARRAY_PARTITION variable=gamma cyclic factor=F
#pragma HLS ARRAY_PARTITION variable=beta cyclic factor=F
  read_vector<TM, typename CFG::norm_t, CFG::NORM_BITS, CFG::NORM_PER_WORD, CFG::DIM, CFG::AXI_BITS, CFG::WEIGHT_PORTS>(
      w0, w1, w2, w3, off, gamma);
  read_vector<TM, typename CFG::norm_t, CFG::NORM_BITS, CFG::NORM_PER_WORD, CFG::DIM, CFG::AXI_BITS, CFG::WEIGHT_PORTS>(
      w0, w1, w2, w3, off + CFG::BETA_OFFSET, beta);
  ln_scale<CFG> sc;
  sc.mean = 0;
  sc.mant = 0;
  sc.exp2 = 0;
  unsigned gy = 0, ly = 0, c = 0;  // row (gy, ly) of y, chunk c
  UBIMOE_CYCLES(0);  // the row loop is its own instance (not the second read_vector's)
ln_out_chunks:
  for (unsigned i = 0; i < rows * CFG::CHUNKS_PER_ROW; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_chunks
    UBIMOE_PIPELINE(1, TM::LAYERNORM_OUT_DEPTH);
    if (c == 0) sc = scales.read();
    const ln_chunk<CFG> v = in.read();
    for (unsigned l = 0; l < CFG::CHUNK; l++) {
#pragma HLS UNROLL
      const unsigned d = c * CFG::CHUNK + l;
      if (d < CFG::DIM) {
        const diff_t dd = v.v[l] - sc.mean;
        // d · rsqrt = (d · mant) · 2^exp2, the power of two applied as a shift of the raw bits
        const typename CFG::scaled_t scaled = dd * sc.mant;
        ap_int<CFG::SCALED_BITS> raw = ap_int<CFG::SCALED_BITS>(bits_of<CFG::SCALED_BITS>(scaled));
        raw = sc.exp2 >= 0 ? ap_int<CFG::SCALED_BITS>(raw << sc.exp2) : ap_int<CFG::SCALED_BITS>(raw >> -sc.exp2);
        const typename CFG::xhat_t xhat =
            from_bits<typename CFG::scaled_t, CFG::SCALED_BITS>(ap_uint<CFG::SCALED_BITS>(raw));
        row_elem(y, gy, ly, d) = xhat * gamma[d] + beta[d];
      }
    }
    if (++c == CFG::CHUNKS_PER_ROW) {
      c = 0;
      next_row<Y>(gy, ly);
    }
  }
}

// LayerNorm of `rows` rows read from m_axi (TOK: the token layout, tokens.h read_rows), which
// also land in x (the kernel's residual, any element type; CHUNK elements a cycle) as they are
// split; y gets the output.
template <class CFG, class TOK, class X, class Y>
void read_layernorm(const typename CFG::word_t *src, unsigned rows, X *x, const typename CFG::word_t *w0,
                    const typename CFG::word_t *w1, const typename CFG::word_t *w2, const typename CFG::word_t *w3,
                    unsigned off, Y *y) {
  UBIMOE_DATAFLOW_REGION("layernorm");
  static_assert(CFG::RSQRT_UNITS == 1, "one rsqrt unit per LayerNorm");
  static_assert(TOK::ACTS_PER_WORD == CFG::CHUNK * CFG::WORD_CHUNKS, "LayerNorm: a word is WORD_CHUNKS chunks");
  hls::stream<typename CFG::word_t, 2> words("ln_words");
  hls::stream<ln_chunk<CFG>, 2> split("ln_split");
  hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> to_var("ln_to_var");
  hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> to_out("ln_to_out");
  hls::stream<typename CFG::mean_t, 2> means("ln_means");
  hls::stream<ln_stats<CFG>, 2> stats("ln_stats");
  hls::stream<ln_scale<CFG>, 2> scales("ln_scales");
  read_rows<TOK>(src, rows, words);
  ln_split<CFG>(rows, words, x, split);
  ln_mean<CFG>(rows, split, to_var, means);
  ln_var<CFG>(rows, to_var, means, to_out, stats);
  ln_rsqrt<CFG>(rows, stats, scales);
  ln_out<CFG>(rows, w0, w1, w2, w3, off, to_out, scales, y);
}

// LayerNorm of `rows` rows of an on-chip array x into y.
template <class CFG, class X, class Y>
void layernorm(const X *x, unsigned rows, const typename CFG::word_t *w0, const typename CFG::word_t *w1,
               const typename CFG::word_t *w2, const typename CFG::word_t *w3, unsigned off, Y *y) {
  UBIMOE_DATAFLOW_REGION("layernorm");
  static_assert(CFG::RSQRT_UNITS == 1, "one rsqrt unit per LayerNorm");
  hls::stream<ln_chunk<CFG>, 2> rows_in("ln_rows");
  hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> to_var("ln_to_var");
  hls::stream<ln_chunk<CFG>, CFG::FIFO_DEPTH> to_out("ln_to_out");
  hls::stream<typename CFG::mean_t, 2> means("ln_means");
  hls::stream<ln_stats<CFG>, 2> stats("ln_stats");
  hls::stream<ln_scale<CFG>, 2> scales("ln_scales");
  ln_array_rows<CFG>(x, rows, rows_in);
  ln_mean<CFG>(rows, rows_in, to_var, means);
  ln_var<CFG>(rows, to_var, means, to_out, stats);
  ln_rsqrt<CFG>(rows, stats, scales);
  ln_out<CFG>(rows, w0, w1, w2, w3, off, to_out, scales, y);
}

}  // namespace ubimoe

#endif
