// Drives ubimoe::gate_select (hls/include/ubimoe/gate.h) on random tokens' logits and prints, as
// JSON, its worst probability error against a double-precision softmax and how many expert choices
// differ from an exact top-k (checked by gate.test.ts). In the kernel the logits come from the
// linear engine (a gate pass); here they are exact dot products computed below.
//
// The double reference is computed from the raw bits independently of the kernel's arithmetic:
// logits as exact integer dot products of the raw h and weight bits, rounded (half up, saturating)
// to the score format the kernel ranks by (the scores gate_select gets), then softmax in double
// over all experts and top-k by score with ties to the lower index.
//
// Two kinds of tokens:
//  - "direct": the gate is the identity on the first E features (weight 1.0), so each logit is the
//    h value itself and the test picks the scores: ties (all equal, repeated values), ascending
//    runs (every expert a new running max: the most rescaling), descending runs, large ranges
//    (±500, most terms underflow), tiny spreads (all probabilities ≈ 1/E);
//  - "mac": random h and random weights through the full D-long MAC.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

#include "ubimoe/gate.h"

typedef ap_fixed<32, 10, AP_RND, AP_SAT> act_t;
typedef ap_fixed<16, 2> weight_t;
typedef ap_fixed<32, 12, AP_RND, AP_SAT> score_t;
typedef ap_ufixed<18, 1> prob_t;

// As src/kernels/cpp/blocks.ts gateStruct renders it for W16A32.
template <unsigned DIM_, unsigned E_, unsigned K_>
struct gate_cfg {
  typedef ::score_t score_t;
  typedef ::prob_t prob_t;
  static const unsigned DIM = DIM_, EXPERTS = E_, TOP_K = K_, MAX_ROWS = 64;  // DIM: this test's token width
  static const unsigned SCORE_BITS = 32, SCORE_FRAC = 20, PROB_BITS = 18, PROB_FRAC = 17;
  static const unsigned ESUM_BITS = 25 + (E_ <= 1 ? 0 : E_ <= 2 ? 1 : E_ <= 4 ? 2 : E_ <= 8 ? 3 : E_ <= 16 ? 4 : 5);
  static const unsigned EXP_UNITS = E_ - 1 + K_, RECIP_UNITS = 1;  // gateUnits
};

static const int H_FRAC = 22, W_FRAC = 14, S_FRAC = 20;

struct worst {
  double p_abs = 0;        // max |p_kernel - p_double| over all chosen experts
  double p_abs_ascending = 0;
  double p_excess_rel = 0;  // max (|error| - half a step of p) / p for p >= 0.05: what is not rounding
  long choices = 0, choice_errors = 0, tokens = 0;
};

static int64_t raw_of(const act_t &v) { return int64_t(ap_int<32>(v.range(31, 0)).to_int64()); }
static int64_t raw_of(const weight_t &v) { return int64_t(ap_int<16>(v.range(15, 0)).to_int64()); }

template <class CFG>
struct bench {
  static const unsigned D = CFG::DIM, E = CFG::EXPERTS, K = CFG::TOP_K, R = CFG::MAX_ROWS;
  act_t h[R][D];
  weight_t wt[E][D];
  unsigned choice[R][K];
  prob_t choice_p[R][K];

  // score of token t, expert e as raw S_FRAC bits: exact dot product, rounded half up, saturated
  int64_t score_raw(unsigned t, unsigned e) const {
    __int128 acc = 0;
    for (unsigned d = 0; d < D; d++) acc += __int128(raw_of(h[t][d])) * raw_of(wt[e][d]);
    const int shift = H_FRAC + W_FRAC - S_FRAC;
    __int128 r = (acc + (__int128(1) << (shift - 1))) >> shift;
    const __int128 hi = (__int128(1) << 31) - 1, lo = -(__int128(1) << 31);
    return int64_t(r > hi ? hi : r < lo ? lo : r);
  }

  void run(unsigned rows, worst &w, bool ascending) {
    for (unsigned t = 0; t < rows; t++) {
      int64_t s[E];
      score_t sc[E];
      for (unsigned e = 0; e < E; e++) {
        s[e] = score_raw(t, e);
        sc[e].range(31, 0) = ap_uint<32>(uint64_t(s[e]));
      }
      ubimoe::gate_select<CFG>(sc, choice[t], choice_p[t]);
      int64_t mx = s[0];
      for (unsigned e = 1; e < E; e++) mx = s[e] > mx ? s[e] : mx;
      double sum = 0;
      for (unsigned e = 0; e < E; e++) sum += std::exp(double(s[e] - mx) / (1 << S_FRAC));
      bool taken[E] = {};
      for (unsigned k = 0; k < K; k++) {
        unsigned best = E;
        for (unsigned e = 0; e < E; e++)
          if (!taken[e] && (best == E || s[e] > s[best])) best = e;
        taken[best] = true;
        w.choices++;
        if (choice[t][k] != best) w.choice_errors++;
        const double want = std::exp(double(s[best] - mx) / (1 << S_FRAC)) / sum;
        const double err = std::fabs(choice_p[t][k].to_double() - want);
        w.p_abs = std::fmax(w.p_abs, err);
        if (ascending) w.p_abs_ascending = std::fmax(w.p_abs_ascending, err);
        if (want >= 0.05) w.p_excess_rel = std::fmax(w.p_excess_rel, (err - std::ldexp(1.0, -int(CFG::PROB_FRAC) - 1)) / want);
      }
      w.tokens++;
    }
  }

  // identity gate on the first E features: the logits are h[t][0..E)
  void identity() {
    for (unsigned e = 0; e < E; e++)
      for (unsigned d = 0; d < D; d++) wt[e][d] = d == e ? 1.0 : 0.0;
  }
};

template <class CFG>
void sweep(std::mt19937_64 &rng, worst &w) {
  static bench<CFG> b;  // large arrays: static storage
  const unsigned D = CFG::DIM, E = CFG::EXPERTS, R = CFG::MAX_ROWS;
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uni(0, 1);
  // direct scores: one pattern per batch of R tokens
  b.identity();
  const double scales[] = {1e-4, 0.05, 0.5, 1, 2, 4, 8, 30, 500};
  for (int pattern = 0; pattern < 7; pattern++)
    for (double scale : scales)
      for (int rep = 0; rep < 3; rep++) {
        for (unsigned t = 0; t < R; t++) {
          double v[E];
          for (unsigned e = 0; e < E; e++) v[e] = scale * normal(rng);
          if (pattern == 1 || pattern == 2) {  // ascending / descending
            for (unsigned i = 1; i < E; i++)
              for (unsigned j = i; j > 0 && v[j] < v[j - 1]; j--) std::swap(v[j], v[j - 1]);
            if (pattern == 2)
              for (unsigned i = 0; i < E / 2; i++) std::swap(v[i], v[E - 1 - i]);
          } else if (pattern == 3) {  // all equal
            for (unsigned e = 1; e < E; e++) v[e] = v[0];
          } else if (pattern == 4) {  // few distinct values: many ties, also at the top
            const double a = v[0], c = v[1], d2 = v[2];
            for (unsigned e = 0; e < E; e++) {
              const double u = uni(rng);
              v[e] = u < 0.4 ? a : u < 0.7 ? c : d2;
            }
          } else if (pattern == 5) {  // ascending by tiny steps: a rescale with c ≈ 1 at every expert
            const double step = scale * 1e-3 * uni(rng);
            for (unsigned e = 0; e < E; e++) v[e] = v[0] + e * step;
          } else if (pattern == 6) {  // extreme range, including the saturated ends
            for (unsigned e = 0; e < E; e++) {
              const double u = uni(rng);
              v[e] = u < 0.2 ? 511.9 : u < 0.4 ? -512 : v[e];
            }
          }
          for (unsigned d = 0; d < D; d++) b.h[t][d] = d < E ? act_t(v[d]) : act_t(normal(rng));
        }
        b.run(R, w, pattern == 1 || pattern == 5);
      }
  // full MAC: random h ~ N(0, 1) and weights ~ N(0, σ²) spreading the logits over ~[-4σ√D, 4σ√D]
  for (int rep = 0; rep < 20; rep++) {
    const double sigma = (rep % 4 == 0 ? 0.01 : rep % 4 == 1 ? 0.1 : rep % 4 == 2 ? 0.4 : 1.5) / std::sqrt(double(D));
    for (unsigned e = 0; e < E; e++)
      for (unsigned d = 0; d < D; d++) b.wt[e][d] = weight_t(sigma * normal(rng));
    for (unsigned t = 0; t < R; t++)
      for (unsigned d = 0; d < D; d++) b.h[t][d] = act_t(3 * normal(rng));
    b.run(rep % 5 == 0 ? 1 + rep % R : R, w, false);  // also partly filled calls
  }
}

int main() {
  std::mt19937_64 rng(20240611);
  worst w;
  sweep<gate_cfg<192, 16, 2> >(rng, w);  // m3vit-tiny
  sweep<gate_cfg<384, 16, 4> >(rng, w);  // m3vit-small
  sweep<gate_cfg<32, 4, 2> >(rng, w);    // micro
  sweep<gate_cfg<40, 5, 5> >(rng, w);    // k = E, E not a power of two
  sweep<gate_cfg<64, 32, 1> >(rng, w);   // many experts, top-1
  std::printf("{\"tokens\": %ld, \"choices\": %ld, \"choice_errors\": %ld, \"p_abs\": %.3e, \"p_abs_ascending\": %.3e, "
              "\"p_excess_rel\": %.3e}\n",
              w.tokens, w.choices, w.choice_errors, w.p_abs, w.p_abs_ascending, w.p_excess_rel);
  return 0;
}
