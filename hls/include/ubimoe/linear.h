// ubimoe kernel library: the reusable linear engine (UbiMoE's resource-efficient FFN engine).
//
// ONE engine per top kernel runs all of its linear layers ("passes": qkv and proj; dense fc1/fc2;
// every expert's fc1/fc2), with run-time dimensions: each pass is a descriptor (weights offset,
// in/out tiles, rows, source, destination, GELU, expert). A TILE_IN × TILE_OUT weight tile is read
// once from AXI and shared by LANES tokens per cycle; partial sums of all rows stay on chip until
// the input dimension is done (weight-stationary: every weight crosses AXI once per pass).
// Products are full precision and summed exactly over a tile in an adder tree at the sum's exact width (tree_t),
// quantised to the accumulator (acc_t) once per tile; bias, optional GELU and the quantisation
// to the activation type happen once per output.
//
// Dataflow: engine_read (AXI: descriptors, biases, weight tiles of ALL passes in order) ->
// FIFOs -> the kernel's compute process, which calls engine_pass once per descriptor (a single
// call site: one MAC array). The reader runs ahead of the MAC array by the FIFO depth across
// pass boundaries, so the next layer's / next expert's first tiles load while the current pass
// computes, drains, or while the kernel gathers the next expert's tokens / runs attention. The
// tile FIFO's depth (CFG::TILE_FIFO, the design's weight_fifo) sets how far: a deep one (BRAM)
// lets the reader bank the idle cycles of a compute-bound expert (many tokens) as tiles that a
// weight-bound one (few tokens) then takes at the MACs' pace; BIAS_FIFO (a chunk per out tile,
// at most one per tile) and PASS_FIFO (descriptors) are sized from it (blocks.ts engineFifos).
//
// Arrays the engine works on (the kernel owns and partitions them), each [rows][DIM] or in the
// lane layout [rows/LANES][LANES][DIM] (tokens.h), which makes the lane a static bank for any LANES:
//   S  a source (LayerNorm output, gathered expert tokens);
//   S2 a second source (HAS_S2: msa_block's attention output, which proj reads while S still
//      holds the LayerNorm output the next head's qkv pass reads);
//   B  a buffer: a pass stores into it (qkv, fc1's hidden) and, when B_IS_SOURCE, a later pass
//      reads it (fc2);
//   R  the residual (HAS_R): a pass drains into it, R[r] += y (dense, proj), or scatters
//      R[queue[e][r]] += p · y (expert mode, SCATTER).
//
// Weight layout (docs/weights.md): per layer, its biases; then, when MAX_WEIGHT_SHIFT > 0 (per-layer
// weight scales), the scale word (the layer's weights are stored as w·2^s and s, the low bits of
// the word, is applied exactly in engine_pass); zero words to a whole row of the weight ports; then
// the tiles in (out tile, in tile) order, each TILE_WORDS words, elements [i][o] row-major packed
// WEIGHTS_PER_WORD to a word.
//
// Timing (ubimoe/timing.h; CFG::TIMING holds the latencies and the kernel's port rate): the
// reader's loop per pass is one m_axi burst (bias rows, then the tiles), one AXI latency; the MACs and the drain of a pass are ONE II=1 loop over its out tiles'
// runs (the loop's depth once per pass).
#ifndef UBIMOE_LINEAR_H
#define UBIMOE_LINEAR_H

#include <hls_stream.h>

#include "common.h"
#include "nonlinear.h"
#include "timing.h"
#include "tokens.h"

namespace ubimoe {

// One layer on the engine.
struct linear_pass {
  unsigned w_off;      // word offset of the layer (its bias rows, then its tiles)
  unsigned tiles_off;  // words from w_off to the first tile: the bias rows (the layer's TILES_OFFSET)
  unsigned in_tiles;   // input features / TILE_IN
  unsigned out_tiles;  // output features / TILE_OUT
  unsigned rows;       // tokens
  unsigned expert;     // queue the SCATTER drain reads (expert mode)
  unsigned tag;        // the kernel's name for this step (which hook runs before it)
  bool gelu;           // GELU on the output
  bool from_b;         // input rows from B (else S2 or S)
  bool from_s2;        // input rows from S2 (HAS_S2; else S)
  unsigned in_tile0;   // the MACs' first input column in the source, in in tiles (proj over some heads)
  unsigned out_tile0;  // the drain's first column in B or R, in out tiles (a head's columns of qkv)
  bool to_r;           // drain into R (else store into B)
  bool scatter;        // with to_r: R[queue[expert][r]] += queue_p[expert][r] · y
  bool act_residual;   // MIXED_R: the drain into R adds in r_act_t (else r_acc_t): a fused block's attention half
  unsigned row0;       // the drain's first row (the rows before it are computed, not drained: the patch pass keeps the cls row)
};

// The descriptor of layer LAYER (a config struct: IN_TILES OUT_TILES TILES_OFFSET GELU) at `w_off`.
template <class LAYER>
linear_pass layer_pass(unsigned w_off, unsigned rows, unsigned tag, bool from_b, bool to_r, bool scatter,
                       unsigned expert) {
  linear_pass p;
  p.w_off = w_off;
  p.tiles_off = LAYER::TILES_OFFSET;
  p.in_tiles = LAYER::IN_TILES;
  p.out_tiles = LAYER::OUT_TILES;
  p.rows = rows;
  p.expert = expert;
  p.tag = tag;
  p.gelu = LAYER::GELU;
  p.from_b = from_b;
  p.from_s2 = false;
  p.in_tile0 = 0;
  p.out_tile0 = 0;
  p.to_r = to_r;
  p.scatter = scatter;
  p.act_residual = false;
  p.row0 = 0;
  return p;
}

// One weight tile as it travels from the AXI reader to the MAC array: the raw AXI words (the
// unpacking is wiring, done where the tile is used).
template <class CFG>
struct weight_words {
  typename CFG::word_t w[CFG::TILE_WORDS];
};

// The TILE_OUT biases of one output tile.
template <class CFG>
struct bias_chunk {
  typename CFG::bias_t b[CFG::TILE_OUT];
  ap_uint<CFG::SHIFT_BITS> shift;  // the layer's weight exponent s (<= MAX_WEIGHT_SHIFT), from its scale word
};

// CFG: word_t in_t mac_in_t b_t r_t prob_t weight_t bias_t tree_t tsum_t acc_t pre_t y_t; AXI_BITS TILE_IN TILE_OUT
// LANES MAX_ROWS ACC_ROWS MIN_GROUPS S_DIM B_DIM R_DIM MAX_OUT MAX_LAYER_WORDS QUEUES MAX_PASSES B_IS_SOURCE HAS_S2 HAS_R
// MIXED_R (types r_act_t r_acc_t) SCATTER WEIGHT_BITS WEIGHTS_PER_WORD TILE_WORDS BIAS_BITS BIASES_PER_WORD PRE_BITS PRE_FRAC
// MAX_WEIGHT_SHIFT SHIFT_BITS HAS_GELU GELU_UNITS WEIGHT_PORTS.

// Dataflow process 1: for every pass in order, its descriptor (with the weight exponent from the
// layer's scale word, read in the same burst as the biases), then per output tile its biases and
// its in_tiles weight tiles. The region is on WEIGHT_PORTS = P ports (w0..w3, common.h): every
// cycle reads one row of P words, one from each port (a layer's offset, its biases' offset and
// TILE_WORDS are multiples of P, docs/weights.md), so each port streams its share as one burst.
template <class CFG>
void engine_read(const typename CFG::word_t *w0, const typename CFG::word_t *w1, const typename CFG::word_t *w2,
                 const typename CFG::word_t *w3, const linear_pass passes[CFG::MAX_PASSES], unsigned n,
                 hls::stream<linear_pass, CFG::PASS_FIFO> &to_mac, hls::stream<bias_chunk<CFG>, CFG::BIAS_FIFO> &biases,
                 hls::stream<weight_words<CFG>, CFG::TILE_FIFO> &tiles) {
  UBIMOE_PROCESS("engine_read");
  typedef typename CFG::TIMING TM;
  typedef typename CFG::word_t word_t;
  const unsigned P = CFG::WEIGHT_PORTS;
  static_assert(CFG::TILE_WORDS % CFG::WEIGHT_PORTS == 0, "a tile is whole rows of the weight ports");
  const unsigned max_passes = CFG::MAX_PASSES, tile_out = CFG::TILE_OUT;
  const unsigned max_layer_rows = CFG::MAX_LAYER_WORDS / P;
  const unsigned scale_words = CFG::MAX_WEIGHT_SHIFT > 0 ? 1 : 0;  // the scale word after the biases
  const unsigned max_bias_rows =
      ((CFG::MAX_OUT + CFG::BIASES_PER_WORD - 1) / CFG::BIASES_PER_WORD + scale_words + P - 1) / P;
  const unsigned max_rows = max_bias_rows + max_layer_rows;
  const unsigned bias_banks = CFG::BIAS_BANKS;  // written P·BIASES_PER_WORD a cycle, read TILE_OUT a cycle
  typename CFG::bias_t bias[CFG::MAX_OUT];
#pragma HLS ARRAY_PARTITION variable=bias cyclic factor=bias_banks
read_passes:
  for (unsigned p = 0; p < n; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_passes
    linear_pass d = passes[p];
    const unsigned out = d.out_tiles * CFG::TILE_OUT;
    const unsigned bias_words = (out + CFG::BIASES_PER_WORD - 1) / CFG::BIASES_PER_WORD;
    // the bias rows: the biases, the scale word, zero words to a whole row (layout.ts linearWords)
    const unsigned bias_rows = d.tiles_off / P;
    // the layer as ONE sequential burst per port (max_read_burst_length splits it; outstanding
    // requests hide the AXI latency), one AXI latency per pass: its bias rows (the biases, then
    // the scale word), then its tiles; a row of P words a cycle, a tile leaves every TILE_WORDS
    // words, an output tile's biases just before its first tile
    const unsigned total = bias_rows + d.out_tiles * d.in_tiles * (CFG::TILE_WORDS / P);
    unsigned wi = 0, ti = 0, to = 0;
    ap_uint<CFG::SHIFT_BITS> shift = 0;
    weight_words<CFG> t;
    UBIMOE_CYCLES(0);  // an imperfect nest: Vitis does not flatten the passes' loops (a loop instance, a burst, each)
  read_layer_words:
    for (unsigned k = 0; k < total; k++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_rows
      UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
      UBIMOE_AXI_BURST(TM::BYTE_UNITS * P * (CFG::AXI_BITS / 8), TM::WEIGHT_BYTE_UNITS_PER_CYCLE,
                       TM::AXI_FIRST_BEAT_CYCLES);
      word_t words[4];
      weight_row<P>(w0, w1, w2, w3, d.w_off / P + k, words);
      // the descriptor leaves as the burst starts, so the compute process's work before the pass
      // (an expert's gather) overlaps the AXI latency; the scale travels with the bias chunks
      if (k == 0) to_mac.write(d);
      if (k < bias_rows) {
        // the row's P words unpacked side by side: field j is bias k·row_biases + j
        const unsigned row_biases = P * CFG::BIASES_PER_WORD;
        typename CFG::bias_t fields[P * CFG::BIASES_PER_WORD];
        for (unsigned q = 0; q < P; q++) {
#pragma HLS UNROLL
          unpack_word<typename CFG::bias_t, CFG::BIAS_BITS, CFG::BIASES_PER_WORD, CFG::AXI_BITS>(
              words[q], fields + q * CFG::BIASES_PER_WORD);
          if (scale_words && k * P + q == bias_words) {
            // the scale word: s in its low bits, clamped to the bound the shifter is built for
            const unsigned s = ap_uint<32>(words[q].range(31, 0)).to_uint();
            shift = s < CFG::MAX_WEIGHT_SHIFT ? s : CFG::MAX_WEIGHT_SHIFT;
          }
        }
        for (unsigned j = 0; j < row_biases; j++) {
#pragma HLS UNROLL
          const unsigned c = k * row_biases + j;  // beyond `out`: the scale word or padding
          if (c < out && c < CFG::MAX_OUT) bias[c] = fields[j];
        }
      } else {
        if (ti == 0 && wi == 0) {
          bias_chunk<CFG> chunk;
          for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
            chunk.b[o] = bias[to * CFG::TILE_OUT + o];
          }
          chunk.shift = shift;
          biases.write(chunk);
        }
        for (unsigned q = 0; q < P; q++) {
#pragma HLS UNROLL
          t.w[wi + q] = words[q];
        }
        wi += P;
        if (wi == CFG::TILE_WORDS) {
          wi = 0;
          tiles.write(t);
          if (++ti == d.in_tiles) {
            ti = 0;
            to++;
          }
        }
      }
    }
  }
}

// A tile's words -> its TILE_IN × TILE_OUT weights (bit slicing: no logic in hardware).
template <class CFG>
inline void unpack_tile(const weight_words<CFG> &t, typename CFG::weight_t tile[CFG::TILE_IN][CFG::TILE_OUT]) {
  for (unsigned wi = 0; wi < CFG::TILE_WORDS; wi++) {
#pragma HLS UNROLL
    typename CFG::weight_t fields[CFG::WEIGHTS_PER_WORD];
    unpack_word<typename CFG::weight_t, CFG::WEIGHT_BITS, CFG::WEIGHTS_PER_WORD, CFG::AXI_BITS>(t.w[wi], fields);
    for (unsigned l = 0; l < CFG::WEIGHTS_PER_WORD; l++) {
#pragma HLS UNROLL
      const unsigned e = wi * CFG::WEIGHTS_PER_WORD + l;
      if (e < CFG::TILE_IN * CFG::TILE_OUT) tile[e / CFG::TILE_OUT][e % CFG::TILE_OUT] = fields[l];
    }
  }
}

// bias + accumulator -> (GELU) -> the activation type. An engine without GELU layers (HAS_GELU
// false) builds no GELU unit.
template <class CFG>
inline typename CFG::y_t engine_output(const typename CFG::acc_t &acc, const typename CFG::bias_t &bias, bool gelu_on) {
  const typename CFG::pre_t v = acc + bias;
  if (CFG::HAS_GELU && gelu_on) return gelu<typename CFG::pre_t, CFG::PRE_BITS, CFG::PRE_FRAC>(v);
  return v;
}

// A drain's residual add, r += v. One kernel's residual has one type (r_t: msa's act_t, ffn's
// acc_t). A fused block keeps ONE residual array for both halves (r_t wide enough to hold act_t
// and acc_t values exactly: MIXED_R), so the sum is taken in the half's own type: r_act_t for the
// attention's proj (act_residual), r_acc_t for the MLP, the same bits as the two kernels apart.
template <class CFG, class R, class V>
inline void residual_add(R &r, const V &v, bool act_residual) {
  if (!CFG::MIXED_R)
    r = r + v;
  else if (act_residual)
    r = typename CFG::r_act_t(typename CFG::r_act_t(r) + v);
  else
    r = typename CFG::r_acc_t(typename CFG::r_acc_t(r) + v);
}

// Row g·LANES + l of an engine array, element c. The lane layout [groups][LANES][DIM] (tokens.h)
// makes l a static bank index for any LANES; [rows][DIM] (cyclic by LANES over rows) only when
// LANES is a power of two (kept for arrays another header still takes as [rows][DIM]).
template <unsigned LANES, class T, unsigned C>
inline T &lane_elem(T (*a)[C], unsigned g, unsigned l, unsigned c) {
  return a[g * LANES + l][c];
}
template <unsigned LANES, class T, unsigned C>
inline T &lane_elem(T (*a)[LANES][C], unsigned g, unsigned l, unsigned c) {
  return a[g][l][c];
}

// Dataflow process 2 (called once per descriptor by the kernel's compute process): the MAC array.
// Per output tile, ONE pipelined loop (II=1) does two things at once:
//  - the MACs of this tile: iterations over (in tile, token group); a group is LANES rows, and the
//    count of groups is padded to MIN_GROUPS so an accumulator is re-read no sooner than MIN_GROUPS
//    iterations after it was written (the wide adder's latency: II=1 with few tokens);
//  - the drain of the PREVIOUS output tile: LANES rows per iteration into B or R, or in expert
//    mode one queued token per iteration (scattered rows may share a bank).
// The accumulators are double-buffered by out-tile parity (acc[2]: out tile t accumulates in bank
// t & 1 while the drain of t − 1 reads bank (t − 1) & 1), so the MAC array never idles while a tile
// drains. The loop runs max(MAC iterations, drain iterations) (few in tiles: the drain may be the
// longer). One more run of the loop after the last out tile, with no MACs, drains the last tile:
// the same loop, so ONE set of LANES·TILE_OUT output units (bias + GELU: CFG::GELU_UNITS GELU
// units, each with its own ROM, nonlinear.h) serves every drain; in expert mode it computes a
// whole group and keeps the queued token's lane.
// Why one merged loop, written out (UG1399): LOOP_MERGE cannot do it (merged loops with variable
// bounds must have equal trip counts, and no merged loop may read a FIFO: the MACs read `tiles`);
// a DATAFLOW split (a MAC process and a drain process joined by a ping-pong acc) would be a
// region nested in the kernel's compute process, itself a dataflow process, with each process
// looping over the out tiles and the drain needing its own copy of the pass's control. One loop
// keeps one pipeline, one control FSM, one set of output units and the stream protocol with
// engine_read unchanged; what it costs is the second acc bank and one run with no MACs per pass.
// S, S2, B, R: [MAX_ROWS][DIM] or [groups][LANES][DIM] (lane_elem; SA, S2A, BA, RA their row types;
// a kernel without HAS_S2 passes any small array as S2, never read). For II=1 the kernel partitions
// (at the declarations): the lane dimension complete (or rows cyclic by LANES), S, S2 and B
// columns cyclic by >= max(TILE_IN, TILE_OUT), R columns by >= TILE_OUT.
template <class CFG, class SA, class S2A, class BA, class RA>
void engine_pass(const linear_pass &d, hls::stream<bias_chunk<CFG>, CFG::BIAS_FIFO> &biases,
                 hls::stream<weight_words<CFG>, CFG::TILE_FIFO> &tiles, const SA *S, const S2A *S2, BA *B, RA *R,
                 const unsigned queue[CFG::QUEUES][CFG::MAX_ROWS],
                 const typename CFG::prob_t queue_p[CFG::QUEUES][CFG::MAX_ROWS]) {
  typedef typename CFG::TIMING TM;
  typedef typename CFG::acc_t acc_t;
  typedef typename CFG::tree_t tree_t;
  typedef typename CFG::tsum_t tsum_t;
  typedef typename CFG::in_t in_t;
  typedef typename CFG::y_t y_t;
  const unsigned L = CFG::LANES;
  const unsigned max_out_tiles = CFG::MAX_OUT / CFG::TILE_OUT + 1;  // + the last tile's drain
  const unsigned max_groups = CFG::ACC_ROWS / CFG::LANES;
  const unsigned max_mac = max_groups * (CFG::S_DIM > CFG::B_DIM ? CFG::S_DIM : CFG::B_DIM) / CFG::TILE_IN;
  const unsigned max_iters = max_mac > CFG::MAX_ROWS ? max_mac : CFG::MAX_ROWS;  // one run
  const unsigned max_total = max_out_tiles * max_iters;
  static_assert(CFG::MIN_GROUPS >= 4, "the DEPENDENCE pragma below promises a RAW distance of 4 on acc");
  static_assert(CFG::GELU_UNITS == (CFG::HAS_GELU ? CFG::LANES * CFG::TILE_OUT : 0),
                "one GELU unit per drain output per cycle");
  // [bank][group][lane][output]: the bank (out-tile parity) and the lane are static register-file
  // selects; MACs and drain touch different banks in every run of the loop
  static acc_t acc[2][CFG::ACC_ROWS / CFG::LANES][CFG::LANES][CFG::TILE_OUT];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
#pragma HLS ARRAY_PARTITION variable=acc complete dim=3
#pragma HLS ARRAY_PARTITION variable=acc complete dim=4

  // the layer's weight exponent (bc.shift, with each out tile's biases): each exact tile sum is
  // shifted right by it (a barrel shift of at most MAX_WEIGHT_SHIFT; tsum_t carries that many
  // extra fractional bits, so no bit is lost and acc_t, with at least frac(product) +
  // MAX_WEIGHT_SHIFT fractional bits, holds the result exactly)
  const unsigned used_groups = (d.rows + CFG::LANES - 1) / CFG::LANES;
  const unsigned groups = used_groups > CFG::MIN_GROUPS ? used_groups : CFG::MIN_GROUPS;
  const bool from_b = CFG::B_IS_SOURCE && d.from_b;
  const bool from_s2 = CFG::HAS_S2 && d.from_s2;
  const bool to_r = CFG::HAS_R && d.to_r;
  const bool scatter = CFG::SCATTER && to_r && d.scatter;
  const unsigned drain_iters = scatter ? d.rows : used_groups;  // per out tile
  const unsigned mac_iters = d.in_tiles * groups;                // per out tile
  const unsigned full_run = mac_iters > drain_iters ? mac_iters : drain_iters;
  // run r (0 .. out_tiles) does the MACs of out tile r (r < out_tiles) beside the drain of tile
  // r − 1 (r > 0) for max(MACs, drain) iterations; the runs are ONE pipelined loop, so the pass
  // pays the loop's depth once
  const unsigned total = mac_iters + (d.out_tiles - 1) * full_run + drain_iters;
  bias_chunk<CFG> bc = bias_chunk<CFG>();        // the biases of the out tile the MACs compute
  bias_chunk<CFG> drain_bc = bias_chunk<CFG>();  // the biases of the out tile drained
  typename CFG::weight_t tile[CFG::TILE_IN][CFG::TILE_OUT];
#pragma HLS ARRAY_PARTITION variable=tile complete dim=0
  unsigned to = 0, it = 0, run = mac_iters;  // run `to`, its iteration `it` of `run`
  unsigned ti = 0, g = 0, dg = 0, dl = 0;
  UBIMOE_CYCLES(0);  // a loop instance per pass (not the previous pass's)
mac_drain:
  for (unsigned k = 0; k < total; k++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_total
    UBIMOE_PIPELINE(1, TM::LINEAR_LOOP_DEPTH);
    // acc: the MACs' read-modify-write of an accumulator is MIN_GROUPS >= 4 iterations apart (a
    // true dependence, its distance stated); the drain reads the other bank, last written by the
    // previous run's MACs at least `groups` iterations before: HLS, seeing one array with a
    // run-time bank index, holds those reads to the same distance, which is conservative and
    // still lets the loop run at II=1
#pragma HLS DEPENDENCE variable=acc type=inter direction=RAW distance=4 true
    // B: a pass reads B (MACs, from_b) or stores into it (drain, not to_r), never both (fc2
    // reads the hidden rows fc1 stored in an earlier pass, and drains into R), so the drain's
    // stores never feed a MAC read of the same pass, in this iteration or another; R: every drain
    // iteration writes rows no other iteration touches (an expert's queued tokens are distinct)
#pragma HLS DEPENDENCE variable=B type=inter false
#pragma HLS DEPENDENCE variable=B type=intra false
#pragma HLS DEPENDENCE variable=R type=inter false
    const bool macs = to < d.out_tiles;  // the last run only drains
    const unsigned bank = to & 1;        // the MACs' bank; the drain reads the other
    const unsigned mac_now = macs ? mac_iters : 0;
    const unsigned drain_now = to > 0 ? drain_iters : 0;
    const unsigned dc0 = (d.out_tile0 + to - 1) * CFG::TILE_OUT;  // the drained tile's first output column
    if (it == 0) {  // a run starts: its MACs' biases in, the previous tile's out to the drain
      drain_bc = bc;
      if (macs) bc = biases.read();
    }
    if (it < mac_now) {
      if (g == 0) unpack_tile<CFG>(tiles.read(), tile);
      const unsigned c0 = (d.in_tile0 + ti) * CFG::TILE_IN;
    lanes:
      for (unsigned l = 0; l < CFG::LANES; l++) {
#pragma HLS UNROLL
        if (g * CFG::LANES + l < d.rows) {
          // quantised to the MAC operand type here (a no-op when mac_in_t is in_t)
          typename CFG::mac_in_t x[CFG::TILE_IN];
          for (unsigned i = 0; i < CFG::TILE_IN; i++) {
#pragma HLS UNROLL
            x[i] = from_b    ? in_t(lane_elem<L>(B, g, l, c0 + i))
                   : from_s2 ? lane_elem<L>(S2, g, l, c0 + i)
                             : lane_elem<L>(S, g, l, c0 + i);
          }
          // the adder tree at the exact width of a tile's sum (products + log2 TILE_IN bits): no
          // adder wider than the sum it can hold
          tree_t s[CFG::TILE_OUT];
          for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
            s[o] = 0;
          }
          for (unsigned i = 0; i < CFG::TILE_IN; i++) {
#pragma HLS UNROLL
            for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
              s[o] += tile[i][o] * x[i];
            }
          }
          for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
            const tsum_t v = CFG::MAX_WEIGHT_SHIFT > 0 ? tsum_t(tsum_t(s[o]) >> bc.shift) : tsum_t(s[o]);
            acc[bank][g][l][o] = (ti == 0 ? acc_t(0) : acc[bank][g][l][o]) + acc_t(v);
          }
        }
      }
      if (++g == groups) {
        g = 0;
        ti++;
      }
    }

    // the drain of the previous out tile: a group per iteration (LANES rows into B or R), or in
    // expert mode one queued token per iteration, row dg·LANES + dl of acc scattered to
    // R[queue[expert][r]] += p · y
    if (it < drain_now) {
      const unsigned g2 = scatter ? dg : it;
      y_t y[CFG::LANES][CFG::TILE_OUT];
#pragma HLS ARRAY_PARTITION variable=y complete dim=0
      for (unsigned l = 0; l < CFG::LANES; l++) {
#pragma HLS UNROLL
        for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
          y[l][o] = engine_output<CFG>(acc[bank ^ 1][g2][l][o], drain_bc.b[o], d.gelu);
        }
      }
      if (scatter) {
        const unsigned t = queue[d.expert][it];
        const typename CFG::prob_t p = queue_p[d.expert][it];
        const unsigned tg = t / CFG::LANES, tl = t % CFG::LANES;  // one run-time row per cycle
        for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
          residual_add<CFG>(lane_elem<L>(R, tg, tl, dc0 + o), p * y[dl][o], false);
        }
        if (++dl == CFG::LANES) {
          dl = 0;
          dg++;
        }
      } else {
        for (unsigned l = 0; l < CFG::LANES; l++) {
#pragma HLS UNROLL
          if (g2 * CFG::LANES + l < d.rows && g2 * CFG::LANES + l >= d.row0) {
            for (unsigned o = 0; o < CFG::TILE_OUT; o++) {
#pragma HLS UNROLL
              if (to_r)
                residual_add<CFG>(lane_elem<L>(R, g2, l, dc0 + o), y[l][o], d.act_residual);
              else
                lane_elem<L>(B, g2, l, dc0 + o) = y[l][o];
            }
          }
        }
      }
    }
    if (++it == run) {  // the next run: the next tile's MACs (the last run: the drain only)
      it = 0;
      to++;
      run = to < d.out_tiles ? full_run : drain_iters;
      ti = 0;
      g = 0;
      dg = 0;
      dl = 0;
    }
  }
}

}  // namespace ubimoe

#endif
