// ubimoe kernel library: LayerNorm (eps inside the square root, biased variance, as PyTorch).
// Per row: mean = Σx · (1/D); var = Σ (d/√D)² with d = x − mean (so no wide divide);
// rsqrt(var + eps) as a normalised mantissa/exponent pair (nonlinear.h); y = d·rsqrt·γ + β.
// |d·rsqrt| <= √D, so the shift by the exponent cannot overflow.
// LANES elements per cycle (the kernel's tile_in): each pass keeps one partial sum per lane and
// adds them at the end of the row. sum_t and var_t are plain wrap-around fixed point and every
// term is quantised exactly as in a serial loop, so the result is bit-identical to one lane.
// Per row: three passes of ceil(DIM / LANES) cycles (mean, variance, normalise), as the variance
// needs the finished mean and the output the finished variance.
// Timing (ubimoe/timing.h): γ and β are two bursts; per row the three II=1 passes pay their
// depths, with the mean and the rsqrt as straight-line work between them.
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
// xhat_t out_t; AXI_BITS DIM MAX_ROWS LANES NORM_BITS NORM_PER_WORD VECTOR_WORDS INV_DIM_BITS INV_DIM_RAW
// INV_SQRT_DIM_BITS INV_SQRT_DIM_RAW EPS_RAW VAR_BITS VAR_FRAC SCALED_BITS RSQRT_UNITS (one rsqrt unit, nonlinear.h).
// γ at word `off`, β at `off + BETA_OFFSET` of the kernel's weight region on WEIGHT_PORTS ports
// (w0..w3, common.h).
// x and y: [MAX_ROWS][DIM] or [groups][lanes][DIM] (tokens.h; X, Y their row types), DIM cyclic by >= LANES (the
// kernel partitions them where it declares them).
template <class CFG, class X, class Y>
void layernorm(const X *x, unsigned rows, const typename CFG::word_t *w0, const typename CFG::word_t *w1,
               const typename CFG::word_t *w2, const typename CFG::word_t *w3, unsigned off, Y *y) {
  typedef typename CFG::diff_t diff_t;
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS, L = CFG::LANES;
  const unsigned steps = (CFG::DIM + L - 1) / L;  // the last step may be partly empty
  static_assert(CFG::RSQRT_UNITS == 1, "one rsqrt unit per LayerNorm");
  typename CFG::norm_t gamma[CFG::DIM], beta[CFG::DIM];
#pragma HLS ARRAY_PARTITION variable=gamma cyclic factor=L
#pragma HLS ARRAY_PARTITION variable=beta cyclic factor=L
  read_vector<TM, typename CFG::norm_t, CFG::NORM_BITS, CFG::NORM_PER_WORD, CFG::DIM, CFG::AXI_BITS, CFG::WEIGHT_PORTS>(
      w0, w1, w2, w3, off, gamma);
  read_vector<TM, typename CFG::norm_t, CFG::NORM_BITS, CFG::NORM_PER_WORD, CFG::DIM, CFG::AXI_BITS, CFG::WEIGHT_PORTS>(
      w0, w1, w2, w3, off + CFG::BETA_OFFSET, beta);
  const typename CFG::invd_t inv_dim =
      from_bits<typename CFG::invd_t, CFG::INV_DIM_BITS>(ap_uint<CFG::INV_DIM_BITS>(CFG::INV_DIM_RAW));
  const typename CFG::isd_t inv_sqrt_dim =
      from_bits<typename CFG::isd_t, CFG::INV_SQRT_DIM_BITS>(ap_uint<CFG::INV_SQRT_DIM_BITS>(CFG::INV_SQRT_DIM_RAW));
  const typename CFG::var_t eps = from_bits<typename CFG::var_t, CFG::VAR_BITS>(ap_uint<CFG::VAR_BITS>(CFG::EPS_RAW));
  unsigned gx = 0, lx = 0, gy = 0, ly = 0;  // row r of x and of y (tokens.h)

ln_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    typename CFG::sum_t sum_lane[CFG::LANES];
    typename CFG::var_t var_lane[CFG::LANES];
#pragma HLS ARRAY_PARTITION variable=sum_lane complete
#pragma HLS ARRAY_PARTITION variable=var_lane complete
  ln_clear:
    for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
      sum_lane[l] = 0;
      var_lane[l] = 0;
    }
  ln_sum:
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::LAYERNORM_SUM_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) sum_lane[l] += row_elem(x, gx, lx, d);
      }
    }
    typename CFG::sum_t sum = 0;
  ln_sum_lanes:
    for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
      sum += sum_lane[l];
    }
    const typename CFG::mean_t mean = typename CFG::sum32_t(sum) * inv_dim;
    UBIMOE_CYCLES(TM::LAYERNORM_MEAN_CYCLES);  // the lane sums added, · 1/D
  ln_var:
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::LAYERNORM_VAR_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) {
          const diff_t dd = row_elem(x, gx, lx, d) - mean;
          const typename CFG::dn_t dn = dd * inv_sqrt_dim;
          var_lane[l] += dn * dn;
        }
      }
    }
    typename CFG::var_t var = eps;
  ln_var_lanes:
    for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
      var += var_lane[l];
    }
    ap_uint<25> mant_bits;
    int exp2;
    rsqrt_q24<CFG::VAR_BITS, CFG::VAR_FRAC>(bits_of<CFG::VAR_BITS>(var), mant_bits, exp2);
    const typename CFG::mant_t mant = from_bits<typename CFG::mant_t, 25>(mant_bits);
    UBIMOE_CYCLES(TM::LAYERNORM_RSQRT_CYCLES);  // the lane sums added, + eps, rsqrt
  ln_out:
    for (unsigned s = 0; s < steps; s++) {
      UBIMOE_PIPELINE(1, TM::LAYERNORM_OUT_DEPTH);
      for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
        const unsigned d = s * L + l;
        if (d < CFG::DIM) {
          const diff_t dd = row_elem(x, gx, lx, d) - mean;
          // d · rsqrt = (d · mant) · 2^exp2, the power of two applied as a shift of the raw bits
          const typename CFG::scaled_t scaled = dd * mant;
          ap_int<CFG::SCALED_BITS> raw = ap_int<CFG::SCALED_BITS>(bits_of<CFG::SCALED_BITS>(scaled));
          raw = exp2 >= 0 ? ap_int<CFG::SCALED_BITS>(raw << exp2) : ap_int<CFG::SCALED_BITS>(raw >> -exp2);
          const typename CFG::xhat_t xhat =
              from_bits<typename CFG::scaled_t, CFG::SCALED_BITS>(ap_uint<CFG::SCALED_BITS>(raw));
          row_elem(y, gy, ly, d) = xhat * gamma[d] + beta[d];
        }
      }
    }
    next_row<X>(gx, lx);
    next_row<Y>(gy, ly);
  }
}

}  // namespace ubimoe

#endif
