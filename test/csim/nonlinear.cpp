// Sweeps the fixed-point non-linear functions of hls/include/ubimoe/nonlinear.h against double
// precision and prints their worst errors as JSON (checked by nonlinear.test.ts).
#include <cmath>
#include <cstdio>

#include "ubimoe/nonlinear.h"

using namespace ubimoe;

int main() {
  // e^z, z <= 0 given with 20 fractional bits in 33 bits (the attention/gate score difference)
  double exp_abs = 0, exp_rel = 0;
  for (double z = 0; z >= -40; z -= 0.000731) {
    const ap_fixed<33, 13> zf = z;
    const ap_int<33> raw = ap_int<33>(bits_of<33>(zf));
    const double got = double(exp_neg_q24<33, 20>(raw).to_uint64()) / (1 << 24);
    const double want = std::exp(zf.to_double());
    exp_abs = std::fmax(exp_abs, std::fabs(got - want));
    if (want > 0.05) exp_rel = std::fmax(exp_rel, std::fabs(got - want) / want);
  }
  // 1/x for x in [2^-10, 2^14] (32 bits, 20 fractional)
  double recip_rel = 0;
  for (double x = 1.0 / 1024; x < 16384; x *= 1.0007) {
    const ap_ufixed<32, 12> xf = x;
    ap_uint<25> mant;
    int e;
    recip_q24<32, 20>(ap_uint<32>(bits_of<32>(xf)), mant, e);
    const double got = std::ldexp(double(mant.to_uint64()) / (1 << 24), e);
    recip_rel = std::fmax(recip_rel, std::fabs(got * xf.to_double() - 1));
  }
  // 1/sqrt(x) for x in [1e-6, 1e5] (64 bits, 40 fractional: the LayerNorm variance format)
  double rsqrt_rel = 0;
  for (double x = 1e-6; x < 1e5; x *= 1.0009) {
    const ap_ufixed<64, 24> xf = x;
    ap_uint<25> mant;
    int e;
    rsqrt_q24<64, 40>(ap_uint<64>(bits_of<64>(xf)), mant, e);
    const double got = std::ldexp(double(mant.to_uint64()) / (1 << 24), e);
    rsqrt_rel = std::fmax(rsqrt_rel, std::fabs(got * std::sqrt(xf.to_double()) - 1));
  }
  // GELU on [-12, 12] for ap_fixed<32,10> (exact erf form)
  double gelu_abs = 0;
  for (double x = -12; x <= 12; x += 0.000913) {
    typedef ap_fixed<32, 10, AP_RND, AP_SAT> act_t;
    const act_t xf = x;
    const double v = xf.to_double();
    const double got = gelu<act_t, 32, 22>(xf).to_double();
    const double want = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    gelu_abs = std::fmax(gelu_abs, std::fabs(got - want));
  }
  std::printf("{\"exp_abs\": %.3e, \"exp_rel\": %.3e, \"recip_rel\": %.3e, \"rsqrt_rel\": %.3e, \"gelu_abs\": %.3e}\n", exp_abs,
              exp_rel, recip_rel, rsqrt_rel, gelu_abs);
  return 0;
}
