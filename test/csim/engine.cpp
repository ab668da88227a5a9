// Drives the linear engine (hls/include/ubimoe/linear.h: engine_read + engine_pass in one dataflow
// region, as the kernels wire them) through the timed C-simulation on two passes and prints, as
// JSON, the simulated cycles of the call and of each pass and the number of outputs that differ
// from an exact reference (checked by engine.test.ts against the cost model's linearCycles).
//
//   pass 0: 17 tokens, 32 -> 64 features, S -> B (a store drain, LANES rows per iteration): 4 in
//           tiles, so each tile's drain (9 groups) runs beside the next tile's 36 MAC iterations;
//   pass 1: expert mode, 16 queued tokens, 8 -> 32 features, S -> R[queue] += p · y (one queued
//           token per drain iteration): ONE in tile, so the drain of out tile 0 (16 iterations)
//           outlasts the MACs of out tile 1 (8 iterations) and the run lasts the drain.
//
// Every value is a small dyadic number (inputs k/4, weights j/4, biases m/8, scores 1/2 or 1/4), so
// the engine's arithmetic is exact in its types and the reference is plain double arithmetic.
// The design: 512-bit AXI words on a port sustaining 32 B/cycle, TILE_IN 8, TILE_OUT 16, LANES 2
// (the hand-counted shape of test/kernels/costModel.cost.test.ts).
#include <cstdio>

#include "ubimoe/linear.h"

typedef ap_uint<512> word_t;
typedef ap_fixed<32, 10, AP_RND, AP_SAT> act_t;
typedef ap_fixed<16, 2> weight_t;
typedef ap_fixed<16, 5> bias_t;
typedef ap_ufixed<18, 1> prob_t;

struct tm_cfg {
  static const unsigned AXI_FIRST_BEAT_CYCLES = 64;
  static const unsigned BYTE_UNITS = 1000;
  static const unsigned PORT_BYTE_UNITS_PER_CYCLE = 32000;    // 32 B/cycle
  static const unsigned WEIGHT_BYTE_UNITS_PER_CYCLE = 32000;  // one weight port
  static const unsigned AXI_READ_DEPTH = 3;
  static const unsigned LINEAR_LOOP_DEPTH = ENGINE_LOOP_DEPTH;  // from engine.test.ts (costModel.ts)
};

static const unsigned ROWS = 17, IN = 32, OUT = 64;

struct eng_cfg {
  typedef tm_cfg TIMING;
  typedef ::word_t word_t;
  typedef act_t in_t;
  typedef act_t mac_in_t;
  typedef act_t b_t;
  typedef act_t r_t;
  typedef act_t r_act_t;
  typedef act_t r_acc_t;
  typedef ::prob_t prob_t;
  typedef ::weight_t weight_t;
  typedef ::bias_t bias_t;
  typedef ap_fixed<64, 28> tree_t;
  typedef ap_fixed<64, 28> tsum_t;
  typedef ap_fixed<48, 16> acc_t;
  typedef act_t pre_t;
  typedef act_t y_t;
  static const unsigned AXI_BITS = 512, TILE_IN = 8, TILE_OUT = 16, LANES = 2;
  static const unsigned MAX_ROWS = ROWS, MIN_GROUPS = 4, ACC_ROWS = 18;  // 9 groups of 2
  static const unsigned S_DIM = IN, B_DIM = OUT, R_DIM = OUT, MAX_OUT = OUT;
  static const unsigned MAX_LAYER_WORDS = 64, QUEUES = 1, MAX_PASSES = 2;
  static const bool B_IS_SOURCE = false, HAS_S2 = false, HAS_R = true, SCATTER = true;
  static const bool MIXED_R = false;
  static const unsigned WEIGHT_BITS = 16, WEIGHTS_PER_WORD = 32, TILE_WORDS = 4;
  static const unsigned BIAS_BITS = 16, BIASES_PER_WORD = 32, BIAS_BANKS = 32;
  static const unsigned PRE_BITS = 32, PRE_FRAC = 22, MAX_WEIGHT_SHIFT = 0, SHIFT_BITS = 1;
  static const bool HAS_GELU = false;
  static const unsigned GELU_UNITS = 0;
  static const unsigned TILE_FIFO = 2, BIAS_FIFO = 2, PASS_FIFO = 2;  // latency.ts engineFifos() defaults
  static const unsigned WEIGHT_PORTS = 1;  // engine_read's w1..w3 are copies of w0
};

static const unsigned G = eng_cfg::ACC_ROWS / eng_cfg::LANES, L = eng_cfg::LANES;
static act_t S[G][L][IN], B[G][L][OUT], R[G][L][OUT];
static unsigned queue[1][ROWS];
static prob_t queue_p[1][ROWS];
static word_t W[1024];

// One layer at word `off` in engine_read's layout (docs/weights.md): tiles in (out tile, in tile)
// order, elements [i][o] row-major, WEIGHTS_PER_WORD to a word from bit 0 up; then the biases.
// Returns the words written; w(i, o) and b(o) as double.
template <class WF, class BF>
static unsigned put_layer(unsigned off, unsigned in, unsigned out, WF w, BF b) {
  const unsigned ti_n = in / eng_cfg::TILE_IN, to_n = out / eng_cfg::TILE_OUT, P = eng_cfg::WEIGHT_PORTS;
  // the bias rows (whole rows of the weight ports), then the tiles (docs/weights.md)
  for (unsigned o = 0; o < out; o++) W[off + o / 32].range(16 * (o % 32) + 15, 16 * (o % 32)) = bias_t(b(o)).range(15, 0);
  unsigned k = off + ((out + 31) / 32 + P - 1) / P * P;
  for (unsigned to = 0; to < to_n; to++)
    for (unsigned ti = 0; ti < ti_n; ti++)
      for (unsigned e = 0; e < eng_cfg::TILE_IN * eng_cfg::TILE_OUT; e++) {
        const unsigned i = ti * eng_cfg::TILE_IN + e / eng_cfg::TILE_OUT, o = to * eng_cfg::TILE_OUT + e % eng_cfg::TILE_OUT;
        const unsigned word = k + e / eng_cfg::WEIGHTS_PER_WORD, f = e % eng_cfg::WEIGHTS_PER_WORD;
        W[word].range(16 * f + 15, 16 * f) = weight_t(w(i, o)).range(15, 0);
        if (e + 1 == eng_cfg::TILE_IN * eng_cfg::TILE_OUT) k += eng_cfg::TILE_WORDS;
      }
  return k - off;
}

static double w0(unsigned i, unsigned o) { return double(int((i * 7 + o * 3) % 9) - 4) / 4; }
static double b0(unsigned o) { return double(int(o * 5 % 33) - 16) / 8; }
static double w1(unsigned i, unsigned o) { return double(int((i * 5 + o * 11) % 9) - 4) / 4; }
static double b1(unsigned o) { return double(int(o * 7 % 33) - 16) / 8; }
static double x_of(unsigned r, unsigned c) { return double(int((r * 13 + c * 7) % 17) - 8) / 4; }
static double r_of(unsigned r, unsigned c) { return double(int((r * 3 + c * 5) % 17) - 8) / 8; }

static void compute(unsigned n, hls::stream<ubimoe::linear_pass, eng_cfg::PASS_FIFO> &passes, hls::stream<ubimoe::bias_chunk<eng_cfg>, eng_cfg::BIAS_FIFO> &biases,
                    hls::stream<ubimoe::weight_words<eng_cfg>, eng_cfg::TILE_FIFO> &tiles) {
  UBIMOE_PROCESS("compute");
  for (unsigned p = 0; p < n; p++) {
    const ubimoe::linear_pass d = passes.read();
    UBIMOE_STAGE(p == 0 ? "pass0" : "pass1");
    static const act_t no_s2[1][1] = {};  // no second source
    ubimoe::engine_pass<eng_cfg>(d, biases, tiles, S, no_s2, B, R, queue, queue_p);
  }
}

static void engine(const ubimoe::linear_pass plan[2]) {
  UBIMOE_DATAFLOW_REGION("engine");
  hls::stream<ubimoe::linear_pass, eng_cfg::PASS_FIFO> passes("passes");
  hls::stream<ubimoe::bias_chunk<eng_cfg>, eng_cfg::BIAS_FIFO> biases("biases");
  hls::stream<ubimoe::weight_words<eng_cfg>, eng_cfg::TILE_FIFO> tiles("tiles");
  ubimoe::engine_read<eng_cfg>(W, W, W, W, plan, 2, passes, biases, tiles);
  compute(2, passes, biases, tiles);
}

int main() {
  ubimoe_csim::timing::settings().fifo_read_latency = 1;
  ubimoe_csim::timing::settings().fifo_write_latency = 1;
  ubimoe_csim::timing::settings().default_depth = 2;
  const unsigned n1 = 16, in1 = 8, out1 = 32;
  for (unsigned r = 0; r < ROWS; r++)
    for (unsigned c = 0; c < IN; c++) S[r / L][r % L][c] = x_of(r, c);
  for (unsigned r = 0; r < ROWS; r++)
    for (unsigned c = 0; c < OUT; c++) R[r / L][r % L][c] = r_of(r, c);
  for (unsigned r = 0; r < n1; r++) {
    queue[0][r] = (r * 5 + 3) % ROWS;  // distinct tokens (5 and 17 coprime)
    queue_p[0][r] = r % 2 ? 0.5 : 0.25;
  }
  const unsigned words0 = put_layer(0, IN, OUT, w0, b0);
  put_layer(words0, in1, out1, w1, b1);
  ubimoe::linear_pass plan[2];
  // layer_pass's fields by hand (no LAYER struct here): offset, biases, tiles, rows, destination
  const unsigned P = eng_cfg::WEIGHT_PORTS;  // the bias rows put_layer writes: whole rows of the ports
  plan[0].w_off = 0, plan[0].tiles_off = ((OUT + 31) / 32 + P - 1) / P * P, plan[0].in_tiles = IN / 8, plan[0].out_tiles = OUT / 16;
  plan[0].rows = ROWS, plan[0].expert = 0, plan[0].tag = 0, plan[0].gelu = false;
  plan[0].from_b = false, plan[0].to_r = false, plan[0].scatter = false;
  plan[0].from_s2 = false, plan[0].in_tile0 = 0, plan[0].out_tile0 = 0;
  plan[0].act_residual = false;
  plan[1] = plan[0];
  plan[1].w_off = words0, plan[1].tiles_off = ((out1 + 31) / 32 + P - 1) / P * P, plan[1].in_tiles = in1 / 8;
  plan[1].out_tiles = out1 / 16, plan[1].rows = n1, plan[1].to_r = true, plan[1].scatter = true;

  ubimoe_csim::timing::clear();
  ubimoe_csim::timing::begin_image();
  {
    UBIMOE_KERNEL("engine_test");
    engine(plan);
  }
  const ubimoe_csim::timing::call_report *call = ubimoe_csim::timing::last_call();

  // the exact reference: pass 0 stores y = x·W0 + b0 into B; pass 1 adds p · (x·W1 + b1) of its
  // queued row r into R[queue[r]]
  unsigned wrong = 0;
  for (unsigned r = 0; r < ROWS; r++)
    for (unsigned o = 0; o < OUT; o++) {
      double y = b0(o);
      for (unsigned i = 0; i < IN; i++) y += x_of(r, i) * w0(i, o);
      if (B[r / L][r % L][o].to_double() != y) wrong++;
    }
  double expect[ROWS][OUT];
  for (unsigned r = 0; r < ROWS; r++)
    for (unsigned c = 0; c < OUT; c++) expect[r][c] = r_of(r, c);
  for (unsigned r = 0; r < n1; r++)
    for (unsigned o = 0; o < out1; o++) {
      double y = b1(o);
      for (unsigned i = 0; i < in1; i++) y += x_of(r, i) * w1(i, o);
      expect[queue[0][r]][o] += (r % 2 ? 0.5 : 0.25) * y;
    }
  for (unsigned r = 0; r < ROWS; r++)
    for (unsigned c = 0; c < OUT; c++)
      if (R[r / L][r % L][c].to_double() != expect[r][c]) wrong++;

  unsigned long long pass0 = 0, pass1 = 0;
  for (const auto &st : call->stages) {
    if (st.name == "pass0") pass0 = st.cycles;
    if (st.name == "pass1") pass1 = st.cycles;
  }
  std::printf("{\"cycles\": %llu, \"pass0\": %llu, \"pass1\": %llu, \"wrong\": %u}\n",
              (unsigned long long)call->cycles, pass0, pass1, wrong);
  return 0;
}
