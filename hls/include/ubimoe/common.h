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

}  // namespace ubimoe

#endif
