// Micro-benchmark of the csim ap types (hls/csim) against plain int64 arithmetic.
// Built by aptypes.bench.mjs with g++ -O2 and with the csim build's -O2 -march=native; prints one
// "name value unit" line per figure.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "ap_fixed.h"
#include "ap_int.h"

using act_t = ap_fixed<32, 10>;
using weight_t = ap_fixed<16, 2>;
using acc_t = ap_fixed<48, 12>;

static const int kLen = 4096;
static const int kReps = 4000;

template <class F> static double ns_per(F body, long long ops) {
  const auto t0 = std::chrono::steady_clock::now();
  body();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(ops);
}

// Keeps results alive without letting the optimiser see through them.
template <class T> static void sink(const T &v) { asm volatile("" : : "r"(&v) : "memory"); }

__attribute__((noinline)) static acc_t mac_ap(const act_t *a, const weight_t *w, int n) {
  acc_t acc = 0;
  for (int i = 0; i < n; ++i) acc += a[i] * w[i];
  return acc;
}
__attribute__((noinline)) static int64_t mac_int64(const int64_t *a, const int64_t *w, int n) {
  int64_t acc = 0;
  for (int i = 0; i < n; ++i) acc += a[i] * w[i];
  return acc;
}
// Same raw data as the ap version but with the operand storage widths of plain C (int32 x int16).
__attribute__((noinline)) static int64_t mac_int_narrow(const int32_t *a, const int16_t *w, int n) {
  int64_t acc = 0;
  for (int i = 0; i < n; ++i) acc += int64_t(a[i]) * w[i];
  return acc;
}
// LayerNorm-style row sums with LANES per-lane partial sums (the laned kernels' pattern, which GCC 12
// vectorised wrongly while the storage word was signed; docs/csim.md) and the serial loop.
using lsum_t = ap_fixed<40, 18>;
template <int L> __attribute__((noinline)) static lsum_t laned_sum(const act_t *x, int n) {
  lsum_t sl[L];
  for (int l = 0; l < L; ++l) sl[l] = 0;
  for (int s = 0; s < n / L; ++s)
    for (int l = 0; l < L; ++l) sl[l] += x[s * L + l];
  lsum_t so = 0;
  for (int l = 0; l < L; ++l) so += sl[l];
  return so;
}
__attribute__((noinline)) static lsum_t serial_sum(const act_t *x, int n) {
  lsum_t acc = 0;
  for (int i = 0; i < n; ++i) {
    acc += x[i];
    asm volatile("" : "+m"(acc));  // keeps this loop scalar: it is the reference, not a figure
  }
  return acc;
}
__attribute__((noinline)) static void requantise(const acc_t *in, ap_fixed<16, 6, AP_RND, AP_SAT> *out, int n) {
  for (int i = 0; i < n; ++i) out[i] = in[i];
}
__attribute__((noinline)) static void unpack(const ap_uint<256> *words, weight_t *out, int nwords) {
  for (int k = 0; k < nwords; ++k)
    for (int j = 0; j < 16; ++j) out[16 * k + j].range(15, 0) = words[k].range(16 * j + 15, 16 * j);
}

int main() {
  std::vector<act_t> a(kLen);
  std::vector<weight_t> w(kLen);
  std::vector<int64_t> a64(kLen), w64(kLen);
  std::vector<int32_t> a32(kLen);
  std::vector<int16_t> w16(kLen);
  uint64_t seed = 12345;
  auto next = [&]() { return seed = seed * 6364136223846793005ull + 1442695040888963407ull, uint64_t(seed >> 17); };
  for (int i = 0; i < kLen; ++i) {
    a[i].range(31, 0) = (uint32_t)next();
    w[i].range(15, 0) = (uint16_t)next();
    a64[i] = a32[i] = (int32_t)a[i].range(31, 0).to_uint();
    w64[i] = w16[i] = (int16_t)w[i].range(15, 0).to_uint();
  }
  const long long macs = (long long)kLen * kReps;
  // Warm-up and a correctness cross-check: the 48-bit accumulator wraps like the low 48 bits of int64.
  const acc_t r = mac_ap(a.data(), w.data(), kLen);
  const int64_t r64 = mac_int64(a64.data(), w64.data(), kLen);
  const int64_t low48 = int64_t(uint64_t(r64) << 16) >> 16;
  const int64_t ap48 = int64_t(uint64_t(r.range(47, 0).to_uint64()) << 16) >> 16;
  if (ap48 != low48) {
    std::fprintf(stderr, "mismatch: ap %lld vs int64 %lld\n", (long long)ap48, (long long)low48);
    return 1;
  }
  double ap_ns = 1e30, i64_ns = 1e30, narrow_ns = 1e30;
  for (int round = 0; round < 3; ++round) {  // best of three: the machine is shared
    ap_ns = std::min(ap_ns, ns_per([&] { for (int k = 0; k < kReps; ++k) sink(mac_ap(a.data(), w.data(), kLen)); }, macs));
    i64_ns = std::min(i64_ns, ns_per([&] { for (int k = 0; k < kReps; ++k) sink(mac_int64(a64.data(), w64.data(), kLen)); }, macs));
    narrow_ns = std::min(narrow_ns, ns_per([&] { for (int k = 0; k < kReps; ++k) sink(mac_int_narrow(a32.data(), w16.data(), kLen)); }, macs));
  }
  std::printf("mac_ap_fixed_32_10_x_16_2_into_48_12 %.3f ns/mac\n", ap_ns);
  std::printf("mac_int64 %.3f ns/mac\n", i64_ns);
  std::printf("mac_int32_x_int16_into_int64 %.3f ns/mac\n", narrow_ns);
  std::printf("ratio_ap_over_int64 %.2f x\n", ap_ns / i64_ns);

  const lsum_t want = serial_sum(a.data(), kLen);
  const bool laned_ok = laned_sum<2>(a.data(), kLen) == want && laned_sum<4>(a.data(), kLen) == want;
  double l2_ns = 1e30, l4_ns = 1e30;
  for (int round = 0; round < 3; ++round) {
    l2_ns = std::min(l2_ns, ns_per([&] { for (int k = 0; k < kReps; ++k) sink(laned_sum<2>(a.data(), kLen)); }, macs));
    l4_ns = std::min(l4_ns, ns_per([&] { for (int k = 0; k < kReps; ++k) sink(laned_sum<4>(a.data(), kLen)); }, macs));
  }
  std::printf("laned_sum_L2_act_into_40_18 %.3f ns/value\n", l2_ns);
  std::printf("laned_sum_L4_act_into_40_18 %.3f ns/value\n", l4_ns);
  std::printf("laned_sums_equal_serial %s -\n", laned_ok ? "yes" : "NO");

  std::vector<acc_t> accs(kLen);
  for (int i = 0; i < kLen; ++i) accs[i] = a[i] * w[i];
  std::vector<ap_fixed<16, 6, AP_RND, AP_SAT>> q(kLen);
  const int qreps = 2000;
  const double q_ns = ns_per([&] { for (int k = 0; k < qreps; ++k) { requantise(accs.data(), q.data(), kLen); sink(q[k % kLen]); } }, (long long)kLen * qreps);
  std::printf("requantise_48_12_to_16_6_rnd_sat %.3f ns/value\n", q_ns);

  const int nwords = 256;
  std::vector<ap_uint<256>> words(nwords);
  for (auto &wd : words)
    for (int j = 0; j < 4; ++j) wd.range(64 * j + 63, 64 * j) = next();
  std::vector<weight_t> unpacked(16 * nwords);
  const int ureps = 2000;
  const double u_ns = ns_per([&] { for (int k = 0; k < ureps; ++k) { unpack(words.data(), unpacked.data(), nwords); sink(unpacked[k % 16]); } }, 16LL * nwords * ureps);
  std::printf("unpack_16bit_from_ap_uint_256 %.3f ns/field\n", u_ns);
  return 0;
}
