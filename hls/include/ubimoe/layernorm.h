// ubimoe kernel library: LayerNorm (eps inside the square root, biased variance, as PyTorch).
// Per row: mean = Σx · (1/D); var = Σ (d/√D)² with d = x − mean (so no wide divide);
// rsqrt(var + eps) as a normalised mantissa/exponent pair (nonlinear.h); y = d·rsqrt·γ + β.
// |d·rsqrt| <= √D, so the shift by the exponent cannot overflow.
// One element per cycle. A version with CFG::LANES elements per cycle (per-lane partial sums,
// bit-identical in principle) computed wrong results in the g++ csim when built with
// -O2 -march=native (AVX2/AVX-512 vectorisation; correct at -O2 and under ASan/UBSan at -O0), for
// LANES = 2: reverted until that is understood (docs/csim.md).
#ifndef UBIMOE_LAYERNORM_H
#define UBIMOE_LAYERNORM_H

#include "common.h"
#include "nonlinear.h"
#include "tokens.h"

namespace ubimoe {

// CFG: word_t in_t norm_t sum_t sum32_t invd_t mean_t diff_t isd_t dn_t var_t mant_t scaled_t
// xhat_t out_t; AXI_BITS DIM MAX_ROWS NORM_BITS NORM_PER_WORD VECTOR_WORDS INV_DIM_BITS INV_DIM_RAW
// INV_SQRT_DIM_BITS INV_SQRT_DIM_RAW EPS_RAW VAR_BITS VAR_FRAC SCALED_BITS.
// γ at word `off`, β at `off + VECTOR_WORDS`.
template <class CFG>
void layernorm(const typename CFG::in_t x[CFG::MAX_ROWS][CFG::DIM], unsigned rows, const typename CFG::word_t *w,
               unsigned off, typename CFG::out_t y[CFG::MAX_ROWS][CFG::DIM]) {
  typedef typename CFG::diff_t diff_t;
  const unsigned max_rows = CFG::MAX_ROWS;
  typename CFG::norm_t gamma[CFG::DIM], beta[CFG::DIM];
  read_vector<typename CFG::norm_t, CFG::NORM_BITS, CFG::NORM_PER_WORD, CFG::DIM, CFG::AXI_BITS>(w, off, gamma);
  read_vector<typename CFG::norm_t, CFG::NORM_BITS, CFG::NORM_PER_WORD, CFG::DIM, CFG::AXI_BITS>(
      w, off + CFG::VECTOR_WORDS, beta);
  const typename CFG::invd_t inv_dim =
      from_bits<typename CFG::invd_t, CFG::INV_DIM_BITS>(ap_uint<CFG::INV_DIM_BITS>(CFG::INV_DIM_RAW));
  const typename CFG::isd_t inv_sqrt_dim =
      from_bits<typename CFG::isd_t, CFG::INV_SQRT_DIM_BITS>(ap_uint<CFG::INV_SQRT_DIM_BITS>(CFG::INV_SQRT_DIM_RAW));
  const typename CFG::var_t eps = from_bits<typename CFG::var_t, CFG::VAR_BITS>(ap_uint<CFG::VAR_BITS>(CFG::EPS_RAW));

ln_rows:
  for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    typename CFG::sum_t sum = 0;
  ln_sum:
    for (unsigned d = 0; d < CFG::DIM; d++) {
#pragma HLS PIPELINE II=1
      sum += x[r][d];
    }
    const typename CFG::mean_t mean = typename CFG::sum32_t(sum) * inv_dim;
    typename CFG::var_t var = 0;
  ln_var:
    for (unsigned d = 0; d < CFG::DIM; d++) {
#pragma HLS PIPELINE II=1
      const diff_t dd = x[r][d] - mean;
      const typename CFG::dn_t dn = dd * inv_sqrt_dim;
      var += dn * dn;
    }
    var += eps;
    ap_uint<25> mant_bits;
    int exp2;
    rsqrt_q24<CFG::VAR_BITS, CFG::VAR_FRAC>(bits_of<CFG::VAR_BITS>(var), mant_bits, exp2);
    const typename CFG::mant_t mant = from_bits<typename CFG::mant_t, 25>(mant_bits);
  ln_out:
    for (unsigned d = 0; d < CFG::DIM; d++) {
#pragma HLS PIPELINE II=1
      const diff_t dd = x[r][d] - mean;
      // d · rsqrt = (d · mant) · 2^exp2, the power of two applied as a shift of the raw bits
      const typename CFG::scaled_t scaled = dd * mant;
      ap_int<CFG::SCALED_BITS> raw = ap_int<CFG::SCALED_BITS>(bits_of<CFG::SCALED_BITS>(scaled));
      raw = exp2 >= 0 ? ap_int<CFG::SCALED_BITS>(raw << exp2) : ap_int<CFG::SCALED_BITS>(raw >> -exp2);
      const typename CFG::xhat_t xhat =
          from_bits<typename CFG::scaled_t, CFG::SCALED_BITS>(ap_uint<CFG::SCALED_BITS>(raw));
      y[r][d] = xhat * gamma[d] + beta[d];
    }
  }
}

}  // namespace ubimoe

#endif
