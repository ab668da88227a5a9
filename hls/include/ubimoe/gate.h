// ubimoe kernel library: MoE gating on chip. Per token: logits h·W_gate[task] (no bias), softmax
// over all experts, top-k (ties -> lower expert index), no renormalisation over the k chosen
// (M³ViT's multi-gate "noisy_vmoe" at eval). Tokens are then queued per expert, and the list of
// experts that received any token is what the expert loop walks.
#ifndef UBIMOE_GATE_H
#define UBIMOE_GATE_H

#include "common.h"
#include "nonlinear.h"
#include "tokens.h"

namespace ubimoe {

// CFG: word_t in_t weight_t logit_t score_t prob_t; AXI_BITS DIM EXPERTS TOP_K MAX_ROWS WEIGHT_BITS
// WEIGHTS_PER_WORD ROW_WORDS SCORE_BITS SCORE_FRAC PROB_BITS PROB_FRAC ESUM_BITS.
// The task's gate is EXPERTS rows of DIM weights (row e = column e of w_gate), each ROW_WORDS words.
template <class CFG>
void gate(const typename CFG::in_t h[CFG::MAX_ROWS][CFG::DIM], unsigned rows, const typename CFG::word_t *w,
          unsigned off, unsigned choice[CFG::MAX_ROWS][CFG::TOP_K],
          typename CFG::prob_t choice_p[CFG::MAX_ROWS][CFG::TOP_K]) {
  typedef typename CFG::score_t score_t;
  const unsigned E = CFG::EXPERTS, max_rows = CFG::MAX_ROWS;
  typename CFG::weight_t wg[CFG::DIM][E];
#pragma HLS ARRAY_PARTITION variable=wg complete dim=2
  typename CFG::weight_t row[CFG::DIM];
load_gate:
  for (unsigned e = 0; e < E; e++) {
    read_vector<typename CFG::weight_t, CFG::WEIGHT_BITS, CFG::WEIGHTS_PER_WORD, CFG::DIM, CFG::AXI_BITS>(
        w, off + e * CFG::ROW_WORDS, row);
    for (unsigned d = 0; d < CFG::DIM; d++) wg[d][e] = row[d];
  }

gate_rows:
  for (unsigned t = 0; t < rows; t++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    typename CFG::logit_t logit[E];
#pragma HLS ARRAY_PARTITION variable=logit complete
    for (unsigned e = 0; e < E; e++) logit[e] = 0;
  logits:
    for (unsigned d = 0; d < CFG::DIM; d++) {
#pragma HLS PIPELINE II=1
      const typename CFG::in_t hd = h[t][d];
      for (unsigned e = 0; e < E; e++) logit[e] += hd * wg[d][e];
    }
    score_t s[E];
    score_t mx = s[0] = logit[0];
  quantise:
    for (unsigned e = 1; e < E; e++) {
      s[e] = logit[e];
      if (s[e] > mx) mx = s[e];
    }
    // softmax over all experts: e^(s - max) / Σ
    ap_uint<25> ex[E];
    ap_uint<CFG::ESUM_BITS> esum = 0;
  exps:
    for (unsigned e = 0; e < E; e++) {
      const ap_int<CFG::SCORE_BITS + 1> diff = ap_int<CFG::SCORE_BITS + 1>(bits_of<CFG::SCORE_BITS + 1>(
          ap_fixed<CFG::SCORE_BITS + 1, CFG::SCORE_BITS + 1 - CFG::SCORE_FRAC>(s[e] - mx)));
      ex[e] = exp_neg_q24<CFG::SCORE_BITS + 1, CFG::SCORE_FRAC>(diff);
      esum += ex[e];
    }
    ap_uint<25> mant;
    int exp2;  // esum >= 1.0 (the max contributes e^0), so exp2 <= 0
    recip_q24<CFG::ESUM_BITS, TABLE_FRAC>(esum, mant, exp2);
    // top-k by score, highest first; strict > keeps the lower index on ties
    bool taken[E];
    for (unsigned e = 0; e < E; e++) taken[e] = false;
  top_k:
    for (unsigned k = 0; k < CFG::TOP_K; k++) {
      unsigned best = 0;
      bool found = false;
      for (unsigned e = 0; e < E; e++) {
        if (!taken[e] && (!found || s[e] > s[best])) {
          best = e;
          found = true;
        }
      }
      taken[best] = true;
      choice[t][k] = best;
      // p = ex · mant · 2^exp2 with PROB_FRAC fractional bits, rounded
      const ap_uint<50> prod = ex[best] * mant;
      const int shift = 2 * TABLE_FRAC - CFG::PROB_FRAC - exp2;
      const ap_uint<50> rounded = (prod + (ap_uint<50>(1) << (shift - 1))) >> shift;
      choice_p[t][k] = from_bits<typename CFG::prob_t, CFG::PROB_BITS>(ap_uint<CFG::PROB_BITS>(rounded));
    }
  }
}

// Per-expert token queues (in token order) and the list of experts that received any token.
template <class CFG>
void route(const unsigned choice[CFG::MAX_ROWS][CFG::TOP_K], const typename CFG::prob_t choice_p[CFG::MAX_ROWS][CFG::TOP_K],
           unsigned rows, unsigned queue[CFG::EXPERTS][CFG::MAX_ROWS],
           typename CFG::prob_t queue_p[CFG::EXPERTS][CFG::MAX_ROWS], unsigned count[CFG::EXPERTS],
           unsigned active[CFG::EXPERTS], unsigned &active_count) {
  const unsigned max_rows = CFG::MAX_ROWS;
  for (unsigned e = 0; e < CFG::EXPERTS; e++) count[e] = 0;
route_rows:
  for (unsigned t = 0; t < rows; t++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    for (unsigned k = 0; k < CFG::TOP_K; k++) {
#pragma HLS PIPELINE II=1
      const unsigned e = choice[t][k];
      queue[e][count[e]] = t;
      queue_p[e][count[e]] = choice_p[t][k];
      count[e]++;
    }
  }
  active_count = 0;
list_active:
  for (unsigned e = 0; e < CFG::EXPERTS; e++) {
    if (count[e] > 0) active[active_count++] = e;
  }
}

}  // namespace ubimoe

#endif
