// ubimoe kernel library: the reusable linear kernel (UbiMoE's resource-efficient FFN engine).
// A TILE_IN × TILE_OUT weight tile is read once from AXI and shared by LANES tokens per cycle;
// partial sums of all rows stay on chip until the input dimension is done (weight-stationary:
// every weight crosses AXI exactly once per call). Products are full precision and summed
// exactly over a tile in a wide (64-bit) adder tree (tsum_t), which is quantised to the
// accumulator (acc_t) once per tile; bias, optional GELU and the quantisation to out_t happen
// once per output. (The wide tile sum also lets g++ vectorise the C-simulation.) The weight
// reader and the MAC array form a dataflow pipeline with double-buffered tiles.
//
// Weight layout (docs/weights.md): tiles in (out tile, in tile) order, each TILE_WORDS words,
// elements [i][o] row-major packed WEIGHTS_PER_WORD to a word; then the OUT biases.
#ifndef UBIMOE_LINEAR_H
#define UBIMOE_LINEAR_H

#include <hls_stream.h>

#include "common.h"
#include "nonlinear.h"
#include "tokens.h"

namespace ubimoe {

// CFG: word_t in_t mac_in_t weight_t bias_t tsum_t acc_t pre_t out_t; AXI_BITS IN OUT TILE_IN TILE_OUT
// LANES MAX_ROWS GELU WEIGHT_BITS WEIGHTS_PER_WORD TILE_WORDS BIAS_BITS BIASES_PER_WORD
// BIAS_OFFSET PRE_BITS PRE_FRAC.
template <class CFG>
void load_weight_tile(const typename CFG::word_t *w, unsigned off,
                      typename CFG::weight_t tile[CFG::TILE_IN][CFG::TILE_OUT]) {
load_tile_words:
  for (unsigned wi = 0; wi < CFG::TILE_WORDS; wi++) {
#pragma HLS PIPELINE II=1
    typename CFG::weight_t fields[CFG::WEIGHTS_PER_WORD];
    unpack_word<typename CFG::weight_t, CFG::WEIGHT_BITS, CFG::WEIGHTS_PER_WORD, CFG::AXI_BITS>(w[off + wi], fields);
  scatter:
    for (unsigned l = 0; l < CFG::WEIGHTS_PER_WORD; l++) {
#pragma HLS UNROLL
      const unsigned e = wi * CFG::WEIGHTS_PER_WORD + l;
      if (e < CFG::TILE_IN * CFG::TILE_OUT) tile[e / CFG::TILE_OUT][e % CFG::TILE_OUT] = fields[l];
    }
  }
}

// One weight tile, as it travels from the AXI reader to the MAC array.
template <class CFG>
struct weight_tile {
  typename CFG::weight_t w[CFG::TILE_IN][CFG::TILE_OUT];
};

// Dataflow stage 1: the layer's biases, then every weight tile in (out tile, in tile) order,
// one AXI burst of TILE_WORDS words per tile. Runs ahead of the MAC array by the FIFO depth
// (2: double buffering; the next tile loads while the current one computes).
template <class CFG>
void stream_weights(const typename CFG::word_t *w, unsigned off, hls::stream<typename CFG::bias_t> &biases,
                    hls::stream<weight_tile<CFG>, 2> &tiles) {
  typename CFG::bias_t bias[CFG::OUT];
  read_vector<typename CFG::bias_t, CFG::BIAS_BITS, CFG::BIASES_PER_WORD, CFG::OUT, CFG::AXI_BITS>(
      w, off + CFG::BIAS_OFFSET, bias);
send_biases:
  for (unsigned c = 0; c < CFG::OUT; c++) {
#pragma HLS PIPELINE II=1
    biases.write(bias[c]);
  }
send_tiles:
  for (unsigned k = 0; k < (CFG::OUT / CFG::TILE_OUT) * (CFG::IN / CFG::TILE_IN); k++) {
    weight_tile<CFG> t;
    load_weight_tile<CFG>(w, off + k * CFG::TILE_WORDS, t.w);
    tiles.write(t);
  }
}

// Dataflow stage 2: the MAC array. Each tile is shared by LANES rows per cycle; partial sums of
// all rows stay in `acc` until the last input tile of an output tile, then bias (+ GELU) and out.
// For II=1 the caller declares `in` partitioned cyclic by LANES (dim 1) and by TILE_IN (dim 2), and
// `out` cyclic by TILE_OUT (dim 2): a cycle reads LANES x TILE_IN inputs and drains TILE_OUT outputs.
template <class CFG>
void linear_compute(const typename CFG::in_t in[CFG::MAX_ROWS][CFG::IN], unsigned rows,
                    hls::stream<typename CFG::bias_t> &biases, hls::stream<weight_tile<CFG>, 2> &tiles,
                    typename CFG::out_t out[CFG::MAX_ROWS][CFG::OUT]) {
  typedef typename CFG::acc_t acc_t;
  typedef typename CFG::tsum_t tsum_t;
  const unsigned in_tiles = CFG::IN / CFG::TILE_IN;
  const unsigned out_tiles = CFG::OUT / CFG::TILE_OUT;
  const unsigned max_groups = (CFG::MAX_ROWS + CFG::LANES - 1) / CFG::LANES;
  const unsigned max_rows = CFG::MAX_ROWS;
  const unsigned lane_count = CFG::LANES;
  const unsigned tile_out = CFG::TILE_OUT;

  typename CFG::bias_t bias[CFG::OUT];  // banked: the drain adds TILE_OUT biases per cycle
#pragma HLS ARRAY_PARTITION variable=bias cyclic factor=tile_out
  static acc_t acc[CFG::MAX_ROWS][CFG::TILE_OUT];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=2
#pragma HLS ARRAY_PARTITION variable=acc cyclic factor=lane_count dim=1
receive_biases:
  for (unsigned c = 0; c < CFG::OUT; c++) {
#pragma HLS PIPELINE II=1
    bias[c] = biases.read();
  }

out_tile_loop:
  for (unsigned to = 0; to < out_tiles; to++) {
  clear_acc:
    for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
#pragma HLS PIPELINE II=1
      for (unsigned o = 0; o < CFG::TILE_OUT; o++) acc[r][o] = 0;
    }
  in_tile_loop:
    for (unsigned ti = 0; ti < in_tiles; ti++) {
      const weight_tile<CFG> tile = tiles.read();
    token_groups:
      for (unsigned r0 = 0; r0 < rows; r0 += CFG::LANES) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_groups
#pragma HLS PIPELINE II=1
      lanes:
        for (unsigned l = 0; l < CFG::LANES; l++) {
#pragma HLS UNROLL
          const unsigned r = r0 + l;
          if (r < rows) {
            tsum_t s[CFG::TILE_OUT];
#pragma HLS ARRAY_PARTITION variable=s complete
          clear:
            for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
              s[o] = 0;
            }
          inputs:
            for (unsigned i = 0; i < CFG::TILE_IN; i++) {
#pragma HLS UNROLL
              // quantised to the MAC operand type here (a no-op when mac_in_t is in_t)
              const typename CFG::mac_in_t xi = in[r][ti * CFG::TILE_IN + i];
            outputs:
              for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
                s[o] += tile.w[i][o] * xi;
              }
            }
          accumulate:
            for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
              acc[r][o] += acc_t(s[o]);
            }
          }
        }
      }
    }
  drain:
    for (unsigned r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
#pragma HLS PIPELINE II=1
    drain_outputs:
      for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
        const unsigned c = to * CFG::TILE_OUT + o;
        const typename CFG::pre_t v = acc[r][o] + bias[c];
        if (CFG::GELU)
          out[r][c] = gelu<typename CFG::pre_t, CFG::PRE_BITS, CFG::PRE_FRAC>(v);
        else
          out[r][c] = v;
      }
    }
  }
}

// out[r][:] = act(in[r][:] · Wᵀ + b) for r < rows, with the layer's weights at word `off`:
// the weight reader and the MAC array as one dataflow region.
template <class CFG>
void linear(const typename CFG::in_t in[CFG::MAX_ROWS][CFG::IN], unsigned rows, const typename CFG::word_t *w,
            unsigned off, typename CFG::out_t out[CFG::MAX_ROWS][CFG::OUT]) {
#pragma HLS DATAFLOW
  hls::stream<typename CFG::bias_t> biases("linear_biases");
#pragma HLS STREAM variable=biases depth=2
  hls::stream<weight_tile<CFG>, 2> tiles("linear_weight_tiles");
  stream_weights<CFG>(w, off, biases, tiles);
  linear_compute<CFG>(in, rows, biases, tiles, out);
}

}  // namespace ubimoe

#endif
