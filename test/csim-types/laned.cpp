// Per-lane partial sums of ap types (the laned LayerNorm / adder-tree pattern), built by
// csim-types.test.ts with the csim build's own flags (-O2 -march=native) and a few more vectorising
// ones. GCC 12.2's loop vectoriser turned this pattern into wrong code while the accumulator's
// storage was signed (docs/csim.md, "Known hazard"); every laned result must equal the serial sum
// (wrap-around addition is associative, so lanes never change the bits). Exit 0 = pass.
#include <cstdint>
#include <cstdio>

#include "ap_fixed.h"
#include "ap_int.h"

static int checks = 0, failures = 0;

// Keeps the serial reference loop scalar: the accumulator goes through memory every step.
template <class T> static inline void opaque(T &v) { asm volatile("" : "+m"(v)); }

template <class SUM, class A> static void expect_same(const char *what, unsigned L, unsigned dim, const SUM &got,
                                                      const A &want) {
  ++checks;
  if (got != want) {
    ++failures;
    std::fprintf(stderr, "laned.cpp: %s, L=%u, DIM=%u: laned %s, serial %s\n", what, L, dim,
                 got.to_string(10).c_str(), want.to_string(10).c_str());
  }
}

// ---- the laned kernels: L partial sums, a guard for a partly empty last step, lanes added after ----

// sum_l += x  (LayerNorm mean); the lanes are added with += (the form that was miscompiled).
template <class SUM, class IN, unsigned L, unsigned DIM> __attribute__((noinline)) SUM laned_sum(const IN *x) {
  SUM sl[L];
  for (unsigned l = 0; l < L; l++) sl[l] = 0;
  for (unsigned s = 0; s < (DIM + L - 1) / L; s++)
    for (unsigned l = 0; l < L; l++) {
      const unsigned d = s * L + l;
      if (d < DIM) sl[l] += x[d];
    }
  SUM so = 0;
  for (unsigned l = 0; l < L; l++) so += sl[l];
  return so;
}
// sum_l -= x, lanes combined with a = a + b (the full-precision operator, then wrapped).
template <class SUM, class IN, unsigned L, unsigned DIM> __attribute__((noinline)) SUM laned_neg(const IN *x) {
  SUM sl[L];
  for (unsigned l = 0; l < L; l++) sl[l] = 0;
  for (unsigned s = 0; s < (DIM + L - 1) / L; s++)
    for (unsigned l = 0; l < L; l++) {
      const unsigned d = s * L + l;
      if (d < DIM) sl[l] -= x[d];
    }
  SUM so = 0;
  for (unsigned l = 0; l < L; l++) so = SUM(so + sl[l]);
  return so;
}
// sum_l += x * w  (a linear engine's lanes), no guard: L divides DIM.
template <class SUM, class IN, class WT, unsigned L, unsigned DIM>
__attribute__((noinline)) SUM laned_mac(const IN *x, const WT *w) {
  SUM sl[L];
  for (unsigned l = 0; l < L; l++) sl[l] = 0;
  for (unsigned s = 0; s < DIM / L; s++)
    for (unsigned l = 0; l < L; l++) sl[l] += x[s * L + l] * w[s * L + l];
  SUM so = 0;
  for (unsigned l = 0; l < L; l++) so += sl[l];
  return so;
}
// var_l += dn * dn with dn = (x - mean) * k  (LayerNorm variance), var = eps + Σ lanes.
template <class VAR, class DN, class IN, class K, unsigned L, unsigned DIM>
__attribute__((noinline)) VAR laned_var(const IN *x, IN mean, K k, VAR eps) {
  VAR vl[L];
  for (unsigned l = 0; l < L; l++) vl[l] = 0;
  for (unsigned s = 0; s < (DIM + L - 1) / L; s++)
    for (unsigned l = 0; l < L; l++) {
      const unsigned d = s * L + l;
      if (d < DIM) {
        const DN dn = (x[d] - mean) * k;
        vl[l] += dn * dn;
      }
    }
  VAR v = eps;
  for (unsigned l = 0; l < L; l++) v += vl[l];
  return v;
}

// ---- serial references ----

template <class SUM, class IN> static SUM serial_sum(const IN *x, unsigned n) {
  SUM acc = 0;
  for (unsigned d = 0; d < n; d++) {
    acc += x[d];
    opaque(acc);
  }
  return acc;
}
template <class SUM, class IN> static SUM serial_neg(const IN *x, unsigned n) {
  SUM acc = 0;
  for (unsigned d = 0; d < n; d++) {
    acc -= x[d];
    opaque(acc);
  }
  return acc;
}
template <class SUM, class IN, class WT> static SUM serial_mac(const IN *x, const WT *w, unsigned n) {
  SUM acc = 0;
  for (unsigned d = 0; d < n; d++) {
    acc += x[d] * w[d];
    opaque(acc);
  }
  return acc;
}
template <class VAR, class DN, class IN, class K> static VAR serial_var(const IN *x, unsigned n, IN mean, K k, VAR eps) {
  VAR acc = eps;
  for (unsigned d = 0; d < n; d++) {
    const DN dn = (x[d] - mean) * k;
    acc += dn * dn;
    opaque(acc);
  }
  return acc;
}

// ---- data ----

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next64() {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return rng_state ^ (rng_state >> 29);
}
// Random raw patterns: every bit pattern of the type, so sums wrap and signs mix.
template <class T> static void fill_random(T *x, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    const int w = T::width;
    for (int lo = 0; lo < w; lo += 32) {
      const int hi = lo + 31 < w ? lo + 31 : w - 1;
      x[i].range(hi, lo) = uint32_t(next64());
    }
  }
}
// Activation-like values in [-4, 4) (no wrap, the LayerNorm case).
template <class T> static void fill_small(T *x, unsigned n) {
  for (unsigned i = 0; i < n; i++) x[i] = T(double(int64_t(next64() % 8192) - 4096) / 1024.0);
}

// ---- the cases ----

typedef ap_fixed<32, 10, AP_RND, AP_SAT> act_t;

template <class SUM, class IN, unsigned L, unsigned DIM> static void sums(const char *what, bool random) {
  IN x[DIM];
  if (random) fill_random(x, DIM);
  else fill_small(x, DIM);
  expect_same(what, L, DIM, laned_sum<SUM, IN, L, DIM>(x), serial_sum<SUM>(x, DIM));
  expect_same(what, L, DIM, laned_neg<SUM, IN, L, DIM>(x), serial_neg<SUM>(x, DIM));
}
template <class SUM, class IN, unsigned DIM> static void sums_all_lanes(const char *what, bool random) {
  sums<SUM, IN, 1, DIM>(what, random);
  sums<SUM, IN, 2, DIM>(what, random);
  sums<SUM, IN, 3, DIM>(what, random);
  sums<SUM, IN, 4, DIM>(what, random);
  sums<SUM, IN, 8, DIM>(what, random);
}
template <class SUM, class IN, class WT, unsigned L, unsigned DIM> static void macs(const char *what) {
  IN x[DIM];
  WT w[DIM];
  fill_random(x, DIM);
  fill_random(w, DIM);
  expect_same(what, L, DIM, laned_mac<SUM, IN, WT, L, DIM>(x, w), serial_mac<SUM>(x, w, DIM));
}
template <class VAR, class DN, class K, unsigned L, unsigned DIM> static void vars(const char *what) {
  act_t x[DIM];
  fill_small(x, DIM);
  const act_t mean = act_t(0.125);
  const K k = K(0.171875);
  const VAR eps = VAR(1.0 / 4096);
  expect_same(what, L, DIM, laned_var<VAR, DN, act_t, K, L, DIM>(x, mean, k, eps),
              serial_var<VAR, DN>(x, DIM, mean, k, eps));
}

int main() {
  // The reproduction in docs/csim.md: 118 exactly (16 when miscompiled).
  {
    act_t x[32];
    for (int i = 0; i < 32; i++) x[i] = act_t((i % 7) - 3 + 0.25 * i);
    const ap_fixed<37, 15> s = laned_sum<ap_fixed<37, 15>, act_t, 2, 32>(x);
    ++checks;
    if (s != 118) {
      ++failures;
      std::fprintf(stderr, "laned.cpp: docs/csim.md reproduction gives %s, expected 118\n", s.to_string(10).c_str());
    }
  }
  // LayerNorm mean: act_t into the sum type of D = 32 / 192 (and odd sizes: a partly empty last step).
  sums_all_lanes<ap_fixed<37, 15>, act_t, 32>("sum ap_fixed<37,15> += act_t", false);
  sums_all_lanes<ap_fixed<37, 15>, act_t, 30>("sum ap_fixed<37,15> += act_t", false);
  sums_all_lanes<ap_fixed<40, 18>, act_t, 192>("sum ap_fixed<40,18> += act_t", true);
  // Wrapping accumulators of other shapes: narrow, exactly 64 bits, unsigned, integer, 128-bit storage.
  sums_all_lanes<ap_fixed<20, 8>, ap_fixed<12, 4>, 61>("sum ap_fixed<20,8> += ap_fixed<12,4> (wraps)", true);
  sums_all_lanes<ap_fixed<64, 30>, ap_fixed<33, 9>, 64>("sum ap_fixed<64,30> += ap_fixed<33,9>", true);
  sums_all_lanes<ap_ufixed<30, 20>, ap_ufixed<16, 8>, 48>("sum ap_ufixed<30,20> += ap_ufixed<16,8>", true);
  sums_all_lanes<ap_int<40>, ap_int<16>, 96>("sum ap_int<40> += ap_int<16>", true);
  sums_all_lanes<ap_uint<24>, ap_uint<13>, 33>("sum ap_uint<24> += ap_uint<13>", true);
  sums_all_lanes<ap_fixed<96, 40>, ap_fixed<70, 20>, 24>("sum ap_fixed<96,40> += ap_fixed<70,20>", true);
  // Linear-engine lanes: act_t x weight into the 48-bit accumulator.
  macs<ap_fixed<48, 12>, act_t, ap_fixed<16, 2>, 1, 96>("mac ap_fixed<48,12> += act_t * ap_fixed<16,2>");
  macs<ap_fixed<48, 12>, act_t, ap_fixed<16, 2>, 2, 96>("mac ap_fixed<48,12> += act_t * ap_fixed<16,2>");
  macs<ap_fixed<48, 12>, act_t, ap_fixed<16, 2>, 3, 96>("mac ap_fixed<48,12> += act_t * ap_fixed<16,2>");
  macs<ap_fixed<48, 12>, act_t, ap_fixed<16, 2>, 4, 96>("mac ap_fixed<48,12> += act_t * ap_fixed<16,2>");
  macs<ap_fixed<48, 12>, act_t, ap_fixed<16, 2>, 8, 96>("mac ap_fixed<48,12> += act_t * ap_fixed<16,2>");
  macs<ap_int<32>, ap_int<8>, ap_int<8>, 2, 64>("mac ap_int<32> += ap_int<8> * ap_int<8>");
  macs<ap_int<32>, ap_int<8>, ap_int<8>, 3, 63>("mac ap_int<32> += ap_int<8> * ap_int<8>");
  macs<ap_int<32>, ap_int<8>, ap_int<8>, 4, 64>("mac ap_int<32> += ap_int<8> * ap_int<8>");
  // LayerNorm variance: dn = (x - mean) / sqrt(D) rounded and saturated, var = eps + Σ dn².
  typedef ap_fixed<27, 7, AP_RND, AP_SAT> dn_t;
  typedef ap_fixed<59, 19> var_t;
  typedef ap_ufixed<25, 1> k_t;
  vars<var_t, dn_t, k_t, 1, 32>("var ap_fixed<59,19> += dn * dn");
  vars<var_t, dn_t, k_t, 2, 32>("var ap_fixed<59,19> += dn * dn");
  vars<var_t, dn_t, k_t, 3, 32>("var ap_fixed<59,19> += dn * dn");
  vars<var_t, dn_t, k_t, 4, 32>("var ap_fixed<59,19> += dn * dn");
  vars<var_t, dn_t, k_t, 4, 30>("var ap_fixed<59,19> += dn * dn");
  vars<var_t, dn_t, k_t, 8, 192>("var ap_fixed<59,19> += dn * dn");
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
