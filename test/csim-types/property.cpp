// Property-test driver: reads operations on raw bit patterns from stdin, one per line, and prints one
// result line each. csim-types.test.ts generates thousands of random operations and compares every
// line with its own BigInt model (test/csim-types/apref.ts). Type indices refer to the lists below,
// which apref.ts mirrors.
//   C s t P        convert operand type s (pattern P, hex) into target type t      -> pattern
//   D t B          convert the double with IEEE bits B (hex) into target type t   -> pattern
//   A op a b P Q   binary op on operand types a, b: + - * / -> "W I S K pattern"; % -> same (integers);
//                  c -> the relation "<", "=" or ">" (all six comparison operators must agree)
//   S s n P        shift by n (may be negative)                                     -> "left right"
//   T s P          to_int, to_double bits, exact decimal                          -> "int bits text"
//   R s hi lo P X  range get, then range set to X                                 -> "get pattern"
//   W w n P Q      wide ap_uint: P<<n, P>>n, P&Q, P|Q, P^Q, P==Q, P.range(n+15,n) -> 7 fields
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

#include "ap_fixed.h"
#include "ap_int.h"

template <class... Ts> struct tlist {};

using operands = tlist<ap_int<5>, ap_uint<7>, ap_fixed<8, 3>, ap_ufixed<10, 4>, ap_fixed<32, 10>, ap_fixed<16, 2>,
                       ap_fixed<48, 12>, ap_int<64>, ap_uint<64>, ap_fixed<64, 1>, ap_ufixed<12, 0>, ap_int<1>,
                       ap_uint<100>, ap_fixed<70, 30>, ap_ufixed<128, 64>>;

#define MODES(W, I, FIX)                                                                                    \
  FIX<W, I, AP_TRN, AP_WRAP>, FIX<W, I, AP_TRN, AP_SAT>, FIX<W, I, AP_TRN, AP_SAT_ZERO>,                    \
      FIX<W, I, AP_TRN, AP_SAT_SYM>, FIX<W, I, AP_TRN_ZERO, AP_WRAP>, FIX<W, I, AP_TRN_ZERO, AP_SAT>,         \
      FIX<W, I, AP_TRN_ZERO, AP_SAT_ZERO>, FIX<W, I, AP_TRN_ZERO, AP_SAT_SYM>, FIX<W, I, AP_RND, AP_WRAP>,  \
      FIX<W, I, AP_RND, AP_SAT>, FIX<W, I, AP_RND, AP_SAT_ZERO>, FIX<W, I, AP_RND, AP_SAT_SYM>,             \
      FIX<W, I, AP_RND_ZERO, AP_WRAP>, FIX<W, I, AP_RND_ZERO, AP_SAT>, FIX<W, I, AP_RND_ZERO, AP_SAT_ZERO>, \
      FIX<W, I, AP_RND_ZERO, AP_SAT_SYM>, FIX<W, I, AP_RND_MIN_INF, AP_WRAP>,                               \
      FIX<W, I, AP_RND_MIN_INF, AP_SAT>, FIX<W, I, AP_RND_MIN_INF, AP_SAT_ZERO>,                            \
      FIX<W, I, AP_RND_MIN_INF, AP_SAT_SYM>, FIX<W, I, AP_RND_INF, AP_WRAP>, FIX<W, I, AP_RND_INF, AP_SAT>, \
      FIX<W, I, AP_RND_INF, AP_SAT_ZERO>, FIX<W, I, AP_RND_INF, AP_SAT_SYM>,                                \
      FIX<W, I, AP_RND_CONV, AP_WRAP>, FIX<W, I, AP_RND_CONV, AP_SAT>, FIX<W, I, AP_RND_CONV, AP_SAT_ZERO>, \
      FIX<W, I, AP_RND_CONV, AP_SAT_SYM>

// Targets: three formats in all 28 mode pairs, two more in two each, then integers.
using targets = tlist<MODES(8, 3, ap_fixed), MODES(7, 3, ap_ufixed), MODES(40, 8, ap_fixed),
                      ap_fixed<100, 40, AP_TRN, AP_WRAP>, ap_fixed<100, 40, AP_RND_CONV, AP_SAT>,
                      ap_ufixed<128, 1, AP_RND, AP_WRAP>, ap_ufixed<128, 1, AP_TRN_ZERO, AP_SAT_SYM>, ap_int<6>,
                      ap_uint<6>, ap_int<64>, ap_uint<90>>;

using wides = tlist<ap_uint<200>, ap_uint<512>>;

[[noreturn]] static void die(const std::string &why) {
  std::fprintf(stderr, "property driver: %s\n", why.c_str());
  std::exit(3);
}

template <class... Ts, class F> void dispatch(tlist<Ts...>, int idx, F &&f) {
  int i = 0;
  const bool found = ((i++ == idx ? (f(Ts()), true) : false) || ...);
  if (!found) die("type index out of range");
}

// Raw pattern from hex (at most the type's width; higher digits are ignored).
template <class T> T from_hex(const std::string &hex) {
  T x;
  const int W = T::width;
  int bit = 0;
  for (int k = int(hex.size()) - 1; k >= 0 && bit < W; --k, bit += 4) {
    const char c = hex[size_t(k)];
    const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    const int n = W - bit < 4 ? W - bit : 4;
    x.range(bit + n - 1, bit) = unsigned(d) & ((1u << n) - 1);
  }
  return x;
}

template <class T> std::string hex(const T &x) { return x.to_string(16); }

template <class R> std::string typed(const R &r) {
  std::ostringstream os;
  os << R::width << ' ' << R::iwidth << ' ' << int(R::sign_flag) << ' ' << int(R::is_int) << ' ' << hex(r);
  return os.str();
}

template <class A, class B> std::string relation(const A &a, const B &b) {
  const bool lt = a < b, le = a <= b, eq = a == b, ne = a != b, gt = a > b, ge = a >= b;
  const int n = int(lt) + int(eq) + int(gt);
  if (n != 1 || le != (lt || eq) || ge != (gt || eq) || ne == eq) return "inconsistent";
  return lt ? "<" : (eq ? "=" : ">");
}

template <class A, class B> std::string binary(char op, const A &a, const B &b) {
  using RT = ubimoe_csim::rtypes<A, B>;
  constexpr bool fits = RT::plus_w <= 128 && A::width + B::width <= 128;
  if (op == 'c') return relation(a, b);
  if (op == '/') {
    if constexpr (A::width + B::fwidth + 1 <= 128 && B::width + 1 <= 128) {
      return b == 0 ? "skip" : typed(a / b);
    } else {
      return "skip";
    }
  }
  if constexpr (!fits) {
    (void)op, (void)a, (void)b;
    return "skip";
  } else {
    switch (op) {
      case '+': return typed(a + b);
      case '-': return typed(a - b);
      case '*': return typed(a * b);
      case '%':
        if constexpr (A::is_int && B::is_int) {
          if (b == 0) return "skip";
          return typed(a % b);
        } else {
          return "skip";
        }
      default: die(std::string("unknown op ") + op);
    }
  }
}

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    std::string out;
    if (kind == "C") {
      int s, t;
      std::string p;
      in >> s >> t >> p;
      dispatch(operands(), s, [&](auto sv) {
        using S = decltype(sv);
        const S x = from_hex<S>(p);
        dispatch(targets(), t, [&](auto tv) { out = hex(decltype(tv)(x)); });
      });
    } else if (kind == "D") {
      int t;
      std::string b;
      in >> t >> b;
      const uint64_t bits = std::stoull(b, nullptr, 16);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      dispatch(targets(), t, [&](auto tv) { out = hex(decltype(tv)(d)); });
    } else if (kind == "A") {
      std::string op, pa, pb;
      int ia, ib;
      in >> op >> ia >> ib >> pa >> pb;
      dispatch(operands(), ia, [&](auto av) {
        using A = decltype(av);
        const A a = from_hex<A>(pa);
        dispatch(operands(), ib, [&](auto bv) {
          using B = decltype(bv);
          out = binary(op[0], a, from_hex<B>(pb));
        });
      });
    } else if (kind == "S") {
      int s, n;
      std::string p;
      in >> s >> n >> p;
      dispatch(operands(), s, [&](auto sv) {
        using S = decltype(sv);
        const S x = from_hex<S>(p);
        out = hex(x << n) + " " + hex(x >> n);
      });
    } else if (kind == "T") {
      int s;
      std::string p;
      in >> s >> p;
      dispatch(operands(), s, [&](auto sv) {
        using S = decltype(sv);
        const S x = from_hex<S>(p);
        const double d = x.to_double();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%d %016llx ", x.to_int(), (unsigned long long)bits);
        out = buf + x.to_string(10);
      });
    } else if (kind == "R") {
      int s, hi, lo;
      std::string p, v;
      in >> s >> hi >> lo >> p >> v;
      dispatch(operands(), s, [&](auto sv) {
        using S = decltype(sv);
        S x = from_hex<S>(p);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%llx ", (unsigned long long)x.range(hi, lo).to_uint64());
        x.range(hi, lo) = std::stoull(v, nullptr, 16);
        out = buf + hex(x);
      });
    } else if (kind == "W") {
      int w, n;
      std::string p, q;
      in >> w >> n >> p >> q;
      dispatch(wides(), w, [&](auto wv) {
        using T = decltype(wv);
        const T a = from_hex<T>(p), b = from_hex<T>(q);
        char buf[32];
        std::snprintf(buf, sizeof buf, " %d %llx", int(a == b), (unsigned long long)a.range(n + 15, n).to_uint64());
        out = hex(a << n) + " " + hex(a >> n) + " " + hex(T(a & b)) + " " + hex(T(a | b)) + " " + hex(T(a ^ b)) + buf;
      });
    } else if (kind.empty()) {
      continue;
    } else {
      die("unknown line: " + line);
    }
    std::cout << out << '\n';
  }
  return 0;
}
