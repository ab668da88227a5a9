// ubimoe kernel library: MoE gating on chip. Per token: logits h·W_gate[task] (no bias; computed
// as a pass of the kernel's linear engine, linear.h, and rounded to the activation type there),
// softmax over all experts, top-k (ties -> lower expert index), no renormalisation over the k chosen
// (M³ViT's multi-gate "noisy_vmoe" at eval). Tokens are then queued per expert, and the list of
// experts that received any token is what the expert loop walks.
#ifndef UBIMOE_GATE_H
#define UBIMOE_GATE_H

#include "common.h"
#include "nonlinear.h"
#include "timing.h"
#include "tokens.h"

namespace ubimoe {

// One token's softmax and top-k from its E scores in ONE pass over the experts ("online", safe
// softmax): the running max m, the running sum l = Σ e^(s_i - m) over the experts seen so far
// (rescaled by e^(m_old - m_new) when the max grows) and the running top-k list; afterwards only
// the k chosen experts are exponentiated, all scaled by one reciprocal 1/l.
//
// Ranking is by score (the softmax is monotonic), highest first; a tie keeps the expert seen first,
// i.e. the lower index. Every step needs ONE exp: e^-|s - m| is the new term when s <= m and the
// rescaling factor when s > m (the new term is then e^0 = 1).
//
// Precision of the rescaled sum l (24 fractional bits). exp_neg_q24 returns a table mantissa with
// relative error r (~1e-7) shifted right, i.e. truncated to 2^-24: |error| <= δ < 2e-7
// (nonlinear.test.ts). Relative to the true sum (>= 1: the max contributes e^0), per expert:
//  - a new term (s <= m) adds at most δ, as in a two-pass sum;
//  - a rescale l·c + 1 (s > m) adds r (c's mantissa; it scales what is already there), 2^-25 (the
//    rounding of l·c) and the truncation of c times l, at most l·2^-24: largest when a much
//    higher score follows many near-equal ones (l up to j at the j-th expert, then the sum ≈ 1).
// Worst case over E experts: (E-1)·max(δ, r + 2^-25) + 2^-24·E(E-1)/2 ≈ 1.0e-5 for E = 16, against
// E·δ ≈ 3.2e-6 for the two-pass sum; then the reciprocal (< 1e-6 relative) and the rounding of p to
// PROB_FRAC = 17 bits (half a step: 3.8e-6). Measured (test/csim/gate.test.ts, 66K tokens incl.
// ties, ascending runs, ±500 ranges): max |p - p_double| 4.7e-6 (two-pass 4.8e-6), error beyond
// p's rounding 9.3e-7·p (two-pass 1.0e-6·p), choices exact; 0.07% of p differ from the two-pass
// gate's, by one step (2^-17).
// Units (nonlinear.h; the kernel pipelines this over tokens at II=1, so every call below is its
// own unit with its own ROM): E - 1 exps in the expert loop, K for the chosen, one reciprocal;
// CFG::EXP_UNITS and CFG::RECIP_UNITS (computed in TypeScript, priced by the cost model) say so.
// CFG: score_t prob_t; EXPERTS TOP_K MAX_ROWS SCORE_BITS SCORE_FRAC PROB_BITS PROB_FRAC ESUM_BITS
// EXP_UNITS RECIP_UNITS.
template <class CFG>
void gate_select(const typename CFG::score_t s[CFG::EXPERTS], unsigned choice[CFG::TOP_K],
                 typename CFG::prob_t choice_p[CFG::TOP_K]) {
#pragma HLS INLINE
  typedef typename CFG::score_t score_t;
  const unsigned E = CFG::EXPERTS, K = CFG::TOP_K;
  static_assert(CFG::EXP_UNITS == E - 1 + K && CFG::RECIP_UNITS == 1, "the units gate_select builds");
  const int SB = CFG::SCORE_BITS, EB = CFG::ESUM_BITS;
  typedef ap_int<SB + 1> diff_t;  // raw score differences (SCORE_FRAC fractional bits), exact
  score_t m = s[0];
  ap_uint<EB> l = ap_uint<EB>(1) << TABLE_FRAC;  // e^(s_0 - s_0); l <= E, so EB = 25 + clog2(E) bits
  // top_s/top_i: the k best so far, highest first. Slot j is filled once j+1 experts were seen;
  // an empty slot loses to every score (j >= e below), so the initial values are never used.
  score_t top_s[K];
  unsigned top_i[K];
#pragma HLS ARRAY_PARTITION variable=top_s complete
#pragma HLS ARRAY_PARTITION variable=top_i complete
  for (unsigned j = 0; j < K; j++) {
#pragma HLS UNROLL
    top_s[j] = s[0];
    top_i[j] = 0;
  }
select_experts:
  for (unsigned e = 1; e < E; e++) {
#pragma HLS UNROLL
    const diff_t d = diff_t(ap_int<SB>(bits_of<SB>(s[e]))) - diff_t(ap_int<SB>(bits_of<SB>(m)));
    const bool grows = d > 0;
    const ap_uint<25> x = exp_neg_q24<SB + 1, CFG::SCORE_FRAC>(grows ? diff_t(-d) : d);  // e^-|s_e - m|
    if (grows) {
      // l·e^(m - s_e), rounded to 24 fractional bits, then + e^0 for s_e itself
      const ap_uint<EB + 25> scaled = ap_uint<EB + 25>(l) * x + (ap_uint<EB + 25>(1) << (TABLE_FRAC - 1));
      l = ap_uint<EB>(scaled >> TABLE_FRAC) + (ap_uint<EB>(1) << TABLE_FRAC);
      m = s[e];
    } else {
      l += x;
    }
    // insertion into the sorted list: s_e goes before the first slot it beats strictly (or the
    // first empty one); the slots from there on shift down by one, the last one drops out
    bool beats[K];
#pragma HLS ARRAY_PARTITION variable=beats complete
    for (unsigned j = 0; j < K; j++) {
#pragma HLS UNROLL
      beats[j] = j >= e || s[e] > top_s[j];
    }
    for (unsigned i = 0; i < K; i++) {
#pragma HLS UNROLL
      const unsigned jj = K - 1 - i;  // from the last slot up, so slot jj-1 is read before it changes
      if (beats[jj]) {
        const bool here = jj == 0 || !beats[jj > 0 ? jj - 1 : 0];
        top_s[jj] = here ? s[e] : top_s[jj > 0 ? jj - 1 : 0];
        top_i[jj] = here ? e : top_i[jj > 0 ? jj - 1 : 0];
      }
    }
  }
  // 1/l once; p_k = e^(s_k - m) · (1/l), rounded to PROB_FRAC fractional bits
  ap_uint<25> mant;
  int exp2;  // l >= 1.0 (the max contributes e^0), so exp2 <= 0
  recip_q24<EB, TABLE_FRAC>(l, mant, exp2);
select_probs:
  for (unsigned k = 0; k < K; k++) {
#pragma HLS UNROLL
    const diff_t d = diff_t(ap_int<SB>(bits_of<SB>(top_s[k]))) - diff_t(ap_int<SB>(bits_of<SB>(m)));  // <= 0
    const ap_uint<50> prod = exp_neg_q24<SB + 1, CFG::SCORE_FRAC>(d) * mant;
    const int shift = 2 * TABLE_FRAC - CFG::PROB_FRAC - exp2;
    const ap_uint<50> rounded = (prod + (ap_uint<50>(1) << (shift - 1))) >> shift;
    choice[k] = top_i[k];
    choice_p[k] = from_bits<typename CFG::prob_t, CFG::PROB_BITS>(ap_uint<CFG::PROB_BITS>(rounded));
  }
}

// Per-expert token queues (in token order) and the list of experts that received any token, in
// the order they run: the busiest, the idlest, the second busiest, the second idlest, ... (ties:
// the lower index first). A busy expert is compute-bound and lets the engine's weight reader run
// ahead (a deep TILE_FIFO, linear.h); the idle, weight-bound expert after it takes those tiles.
// The order changes no bits: each expert's p·y lands in R by an exact fixed-point add.
// Timing (ubimoe/timing.h): the counters cleared and the active list are rolled loops over the
// experts (CFG::CLEAR_CYCLES, CFG::LIST_CYCLES); the (token, k) nest is one flattened II=1 loop.
template <class CFG>
void route(const unsigned choice[CFG::MAX_ROWS][CFG::TOP_K], const typename CFG::prob_t choice_p[CFG::MAX_ROWS][CFG::TOP_K],
           unsigned rows, unsigned queue[CFG::EXPERTS][CFG::MAX_ROWS],
           typename CFG::prob_t queue_p[CFG::EXPERTS][CFG::MAX_ROWS], unsigned count[CFG::EXPERTS],
           unsigned active[CFG::EXPERTS], unsigned &active_count) {
  typedef typename CFG::TIMING TM;
  const unsigned max_rows = CFG::MAX_ROWS;
  for (unsigned e = 0; e < CFG::EXPERTS; e++) count[e] = 0;
  UBIMOE_CYCLES(CFG::CLEAR_CYCLES);
route_rows:
  for (unsigned t = 0; t < rows; t++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
    for (unsigned k = 0; k < CFG::TOP_K; k++) {
      UBIMOE_PIPELINE(1, TM::ROUTE_DEPTH);
      const unsigned e = choice[t][k];
      queue[e][count[e]] = t;
      queue_p[e][count[e]] = choice_p[t][k];
      count[e]++;
    }
  }
  active_count = 0;
  UBIMOE_CYCLES(CFG::LIST_CYCLES);
  unsigned by_count[CFG::EXPERTS];  // the experts, most tokens first
rank_experts:
  for (unsigned e = 0; e < CFG::EXPERTS; e++) {
    unsigned rank = 0;
    for (unsigned f = 0; f < CFG::EXPERTS; f++) {
#pragma HLS UNROLL
      rank += (count[f] > count[e] || (count[f] == count[e] && f < e)) ? 1 : 0;
    }
    by_count[rank] = e;
    if (count[e] > 0) active_count++;
  }
list_active:
  for (unsigned a = 0; a < CFG::EXPERTS; a++) {
    // even positions from the busy end, odd ones from the idle end of the active experts
    if (a < active_count) active[a] = by_count[a % 2 == 0 ? a / 2 : active_count - 1 - a / 2];
  }
}

}  // namespace ubimoe

#endif
