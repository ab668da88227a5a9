// ubimoe kernel library: what every building block shares (ARCHITECTURE.md, "How a kernel is
// described"). Synthesisable: static sizes, bounded loops, no heap, no float in the datapath.
// Numbers come from the generated config structs (kernels/config.h); each block is a template
// on its struct.
#ifndef UBIMOE_COMMON_H
#define UBIMOE_COMMON_H

#include <ap_fixed.h>
#include <ap_int.h>

namespace ubimoe {

// Raw bits of a fixed-point value (W = its width) and back: the only way values cross an AXI
// word, so the packing in src/driver/pack.ts and the kernels agree bit for bit.
template <int W, class T>
inline ap_uint<W> bits_of(const T &v) {
  return v.range(W - 1, 0);
}

template <class T, int W>
inline T from_bits(const ap_uint<W> &b) {
  T v;
  v.range(W - 1, 0) = b;
  return v;
}

// Field `lane` (W bits wide) of an AXI word; fields are packed from bit 0 upwards.
template <int W, int AXI>
inline ap_uint<W> word_field(const ap_uint<AXI> &word, unsigned lane) {
  return word.range(lane * W + W - 1, lane * W);
}

template <int W, int AXI>
inline void set_word_field(ap_uint<AXI> &word, unsigned lane, const ap_uint<W> &b) {
  word.range(lane * W + W - 1, lane * W) = b;
}

// All PER_WORD fields (W bits each, from bit 0 up) of an AXI word. Fields are taken from 64-bit
// slices when W divides 64, so each field costs one shift and mask.
template <class T, int W, unsigned PER_WORD, int AXI>
inline void unpack_word(const ap_uint<AXI> &word, T out[PER_WORD]) {
  if (64 % W == 0) {
    const unsigned per_slice = 64 / W;
  slices:
    for (unsigned c = 0; c < (PER_WORD + per_slice - 1) / per_slice; c++) {
#pragma HLS UNROLL
      const ap_uint<64> slice = word.range(64 * c + 63, 64 * c);
      for (unsigned j = 0; j < per_slice; j++) {
#pragma HLS UNROLL
        const unsigned l = c * per_slice + j;
        if (l < PER_WORD) out[l] = from_bits<T, W>(ap_uint<W>(slice >> (j * W)));
      }
    }
  } else {
  fields:
    for (unsigned l = 0; l < PER_WORD; l++) {
#pragma HLS UNROLL
      out[l] = from_bits<T, W>(word_field<W, AXI>(word, l));
    }
  }
}

// Number of leading zeros of a W-bit value (W when it is zero): a priority encoder in hardware.
template <int W>
inline unsigned count_leading_zeros(const ap_uint<W> &x) {
  unsigned n = W;
  clz_scan:
  for (int i = 0; i < W; i++) {
#pragma HLS UNROLL
    if (x[i]) n = W - 1 - i;
  }
  return n;
}

// v · 2^e for a W-bit fixed-point type T: a shift of the raw bits (arithmetic to the right).
// The caller guarantees the result fits T.
template <class T, int W>
inline T scale_pow2(const T &v, int e) {
  ap_int<W> raw = ap_int<W>(bits_of<W>(v));
  raw = e >= 0 ? ap_int<W>(raw << e) : ap_int<W>(raw >> (-e));
  return from_bits<T, W>(ap_uint<W>(raw));
}

// Weight ports (design weight_ports, docs/weights.md): a kernel reads its weight region through
// P m_axi ports, each on its own memory channel; word j of the region is word j / P of port j % P.
// Every weight reader takes the four port pointers w0..w3 (a fixed argument list: no run-time
// pointer arrays); below four ports the spare ones are copies of w0 and are never read.

// Word j of a weight region (one word per cycle: the port is a mux on j's low bits, P a power of two).
template <unsigned P, class W>
inline W weight_word(const W *w0, const W *w1, const W *w2, const W *w3, unsigned j) {
  static_assert(P == 1 || P == 2 || P == 4, "1, 2 or 4 weight ports");
  if (P == 1) return w0[j];
  const unsigned i = j / P, port = j % P;
  if (port == 0) return w0[i];
  if (port == 1) return w1[i];
  if (port == 2) return w2[i];
  return w3[i];
}

// Row `row` of a weight region: words row·P .. row·P + P − 1, one from each port (index `row` of
// every port; P words per cycle). words[P..3] are left alone.
template <unsigned P, class W>
inline void weight_row(const W *w0, const W *w1, const W *w2, const W *w3, unsigned row, W words[4]) {
  static_assert(P == 1 || P == 2 || P == 4, "1, 2 or 4 weight ports");
  words[0] = w0[row];
  if (P > 1) words[1] = w1[row];
  if (P > 2) {
    words[2] = w2[row];
    words[3] = w3[row];
  }
}

}  // namespace ubimoe

#endif
