/**
 * Every calibration constant of the cost model, in one place (docs/cost-model.md explains them).
 *
 * What the model is calibrated on: UbiMoE's published Alveo U280 point (docs/model.md: M³ViT-tiny,
 * W16A32, 200 MHz, linear 16×16 with ONE token lane on the attention side and 3 on the FFN side
 * (as UbiMoE's public code runs them), attention 4 × 8, 256-bit AXI: 316.1K LUT, 385.9K FF).
 * Only the LUT/FF-per-MAC constants below were fitted to it (see LUT_PER_MAC / FF_PER_MAC). DSP
 * counts are structural (operand widths and the DSP primitive), never fitted: 3205 for that point,
 * 6.1% under the published 3413 (3368 before ubimoe's streaming LayerNorm took a 256-bit word's 8
 * activations a cycle instead of tile_in's 16). Cycle counts come from loop trip counts and documented pipeline
 * depths, not fitted to the published 10.33 ms, which is most likely 1 / throughput (MSA and FFN
 * of successive images overlapped), not one image's latency; it compares with the model's
 * images/s, not its latency (src/report/published.ts).
 * What it is NOT calibrated on: any synthesis or board run of ubimoe's own kernels, BRAM (the
 * published 974 does not say BRAM18 or BRAM36), fmax (a rule of thumb), the other boards.
 */
/**
 * Latencies of the generated kernels' loops and straight-line code (cycles at the kernel clock;
 * estimates until a synthesis report says otherwise). ONE place: they are rendered into every
 * generated project (config.h, `timing_cfg`, src/kernels/cpp/timing.ts) as the arguments of the
 * kernels' timing statements (`UBIMOE_PIPELINE(ii, lat)`, `UBIMOE_CYCLES(n)`, hls/csim/README.md
 * "Timed C-simulation"), and the cost model reads the same numbers (COST below). A "depth" is the
 * iteration latency of a pipelined loop (first read to last write), paid once per loop instance;
 * "cycles" are straight-line work.
 */
export const LATENCY = {
  /** An II=1 loop storing what it reads from m_axi (read data, unpack the word, store). */
  AXI_READ_DEPTH: 3,
  /** An II=1 loop writing m_axi words (load, pack, write data). */
  AXI_WRITE_DEPTH: 3,
  /** Row copies, adds, gathers, scatter-adds and the patch tail's position add (load, add, round/saturate, store). */
  ELEMENTWISE_DEPTH: 3,
  /** LayerNorm: splitting an AXI word into chunks (select the fields, write the chunk). */
  LAYERNORM_SPLIT_DEPTH: 2,
  /** LayerNorm: the mean pass (load, add into the lane's partial sum). */
  LAYERNORM_SUM_DEPTH: 3,
  /** LayerNorm: the lane partial sums added (adder tree) and multiplied by 1/D (the mean process's tail). */
  LAYERNORM_MEAN_CYCLES: 5,
  /** LayerNorm: the variance pass (load, subtract, scale, square, accumulate; the lane sums added, + eps). */
  LAYERNORM_VAR_DEPTH: 6,
  /** LayerNorm: one rsqrt (leading zeros, table, interpolation), the depth of the rsqrt process. */
  LAYERNORM_RSQRT_CYCLES: 10,
  /** LayerNorm: the normalise pass (load, subtract, · mantissa, shift, · gamma + beta, store). */
  LAYERNORM_OUT_DEPTH: 6,
  /** Attention score stage: the q·k loop over the head dim (load q and k, multiply, accumulate). */
  ATTN_QK_DEPTH: 6,
  /** Attention score stage: the block's dot products scaled by head_dim^-0.5 (one multiply). */
  ATTN_SCALE_CYCLES: 3,
  /** Attention A·V loop over the head dim (load v, multiply, adder tree over the key block, rescale, add). */
  ATTN_AV_DEPTH: 8,
  /** Attention reader: a step of its row loop (load from qkv, store into the row's lane; or load a column, write it out). */
  ATTN_READ_DEPTH: 3,
  /** One compare level of the softmax's block-max tree (compare, select). */
  ATTN_COMPARE_CYCLES: 1,
  /** Attention softmax step on the exp units (operand select, exp (EXP_CYCLES), add into the row's sum, l·corr + sum). */
  ATTN_SOFTMAX_DEPTH: 15,
  /** Attention softmax: its loop-carried path, the running sum's update l·corr + psum (a multiply, an add). */
  ATTN_SOFTMAX_CARRY: 4,
  /** One reciprocal (recip_q24: leading zeros, normalise, table, interpolation). */
  RECIP_CYCLES: 8,
  /** Attention: the per-row normalise loop (· mantissa, shift, store). */
  ATTN_NORMALISE_DEPTH: 5,
  /** One exp (exp_neg_q24: · log2(e), table, interpolation, shift), as a straight-line chain. */
  EXP_CYCLES: 10,
  /** One step of a rolled compare/select, store or accumulate loop (one iteration per cycle). */
  ROLLED_STEP_CYCLES: 1,
  /** A multiply in straight-line code (e.g. the softmax's running sum l · corr). */
  MULTIPLY_CYCLES: 3,
  /**
   * Vitis pipelines a loop without a PIPELINE pragma by itself only when its trip count is above
   * this (UG1399 2023.2, "Automatic Loop Pipelining": syn.compile.pipeline_loops, default 64);
   * shorter loops stay rolled (trip count × body latency).
   */
  AUTO_PIPELINE_TRIPCOUNT: 64,
  /** ffn_block: route()'s queueing loop over (token, k) (read the choice, store, count). */
  ROUTE_DEPTH: 3,
  /** ffn_block: one pass descriptor written into the expert plan. */
  PLAN_PASS_CYCLES: 1,
  /** hls::stream FIFOs: an element can be read this long after its write, a freed slot written this long after the read. */
  FIFO_READ_LATENCY: 1,
  FIFO_WRITE_LATENCY: 1,
  /** Depth of an hls::stream declared without one (Vitis's default). */
  DEFAULT_STREAM_DEPTH: 2,
} as const;

export const COST = {
  // ---- off-chip memory -------------------------------------------------------------------
  /** Fraction of the AXI peak (width × clock) reached by HLS m_axi bursts of 16..64 beats. */
  BURST_EFFICIENCY: 0.85,
  /** Fraction of a channel's data-sheet GB/s reached by one long sequential reader. */
  CHANNEL_EFFICIENCY: { hbm: 0.9, ddr: 0.85, lpddr: 0.8, 'ps-ddr': 0.8, plram: 1 } as Record<string, number>,
  /** Bandwidth factor of a port whose memory channel is on another SLR (SLR-crossing pipeline). */
  SLR_CROSSING_BANDWIDTH: 0.9,
  /** Cycles from a burst request to its first beat (AXI + interconnect + controller latency). */
  AXI_FIRST_BEAT_CYCLES: 64,

  // ---- pipelines ---------------------------------------------------------------------------
  /** Fill depth of the linear engine's II=1 MAC loop (multipliers, adder tree), paid per out tile. */
  LINEAR_PIPELINE_DEPTH: 14,
  /** Fill depth of the engine's drain loop (bias, GELU table, residual add / scatter), per out tile. */
  LINEAR_DRAIN_DEPTH: 10,
  /**
   * Accumulator read-modify-write distance: token groups are innermost, so a pass is padded to at
   * least this many token groups per (out tile, in tile) to keep II=1 (wide adder latency); the
   * generated kernels use it too (linear.h MIN_GROUPS, its DEPENDENCE pragma).
   */
  ACC_DEPENDENCE_DISTANCE: 4,
  /**
   * MoE gate (gate.h): after the gate's engine pass, the one-pass softmax + top-k runs pipelined
   * over the tokens; this is its one-off depth (about 16 rescale multiply-adds, an exp, the
   * reciprocal and the k products; an estimate).
   */
  GATE_PIPELINE_DEPTH: 80,
  /** Per kernel invocation: s_axilite start/done handshake, argument fetch, pipeline drains. */
  KERNEL_START_CYCLES: 300,
  /** Host-side cost of one kernel call (XRT enqueue with the next call already queued). */
  INVOCATION_OVERHEAD_US: 5,

  // ---- DSP primitives ----------------------------------------------------------------------
  /** Signed multiplier port widths (A × B) of each DSP kind: DSP48E2 27×18, DSP58 27×24. */
  DSP_PORTS: { dsp48e2: [27, 18], dsp58: [27, 24] } as Record<string, [number, number]>,

  // ---- LUT / FF (fitted: LUT_PER_MAC, FF_PER_MAC; the rest are estimates) ------------------
  /**
   * Per MAC lane: adder-tree share, accumulator, operand routing and pipeline registers. Fitted
   * (issue 13 item 10) with the attention-side engine at one lane, after the issue 13 kernels
   * (per-unit ROMs, the streaming attention, the lane layout): 1473 MACs in the design, the rest
   * of the model 102.0K LUT / 152.1K FF -> (316.1K − 102.0K) / 1473 = 145 LUT, (385.9K − 152.1K)
   * / 1473 = 159 FF (under the old 3-lane reading and kernels: 106 / 105).
   */
  LUT_PER_MAC: 145,
  FF_PER_MAC: 159,
  /**
   * ... at the fit point's adder trees (a linear engine's tile sum: 32-bit inputs × 16-bit weights
   * over tile_in 16 = 52 bits, linear.h tree_t). A linear engine's MAC whose tree is narrower or
   * wider takes one LUT and one register per bit of the difference (about one carry-chain adder of
   * the tree's width per product; an estimate, not fitted): 8-bit × 8-bit over 64 is 22 bits, 30
   * LUT and 30 FF under the fit point.
   */
  LUT_FIT_TREE_BITS: 52,
  LUT_PER_TREE_BIT: 1,
  FF_PER_TREE_BIT: 1,
  /** Per non-linear unit: range reduction, interpolation, pipeline registers (its table is a BRAM ROM: nonlinearUnit). */
  LUT_PER_NONLINEAR: 450,
  FF_PER_NONLINEAR: 600,
  /** Per kernel: control FSMs, s_axilite register file, loop counters, stream glue. */
  LUT_PER_KERNEL: 6000,
  FF_PER_KERNEL: 8000,
  /** Per m_axi port of `width` bits: a + b·width (read/write channels, burst logic, width converters). */
  AXI_LUT_BASE: 1500,
  AXI_LUT_PER_BIT: 6,
  AXI_FF_BASE: 2000,
  AXI_FF_PER_BIT: 10,
  /** m_axi read/write buffers: BRAM18 per 64 bits of port width. */
  AXI_BRAM18_PER_64_BITS: 1,
  /** Platform interconnect per m_axi port connected to memory (SmartConnect / HBM switch slave). */
  INFRA_LUT_PER_PORT: 2500,
  INFRA_FF_PER_PORT: 4000,
  /** Extra LUT/FF per kernel placed away from its memory channel (SLR-crossing register slices). */
  SLR_CROSSING_LUT: 3000,
  SLR_CROSSING_FF: 6000,
  /**
   * A kernel spanning SLRs (span): each bit crossing a boundary is registered on both sides (the
   * Laguna TX/RX flip-flops UG949 recommends for SLR crossings), counted as FF of the two SLRs.
   */
  SLR_SPAN_FF_PER_BIT: 2,
  /**
   * ... and its paths that cross pay a super long line: the clock period grows by this much
   * (an estimate: an SLL hop with the routing to and from it; HLS does not register crossings
   * on its own, so the slowest crossing path sets the period).
   */
  SLR_SPAN_DELAY_NS: 1.0,

  // ---- on-chip memory ----------------------------------------------------------------------
  /** BRAM18 aspect ratios (depth × width). */
  BRAM18_ASPECTS: [
    [16384, 1],
    [8192, 2],
    [4096, 4],
    [2048, 9],
    [1024, 18],
    [512, 36],
  ] as Array<[number, number]>,
  /** Widest BRAM18 aspect with two read/write ports (true dual port): a dual-port ROM's limit. */
  BRAM18_TDP_MAX_WIDTH: 18,
  /** URAM: 4096 × 72. */
  URAM_DEPTH: 4096,
  URAM_WIDTH: 72,
  /** A memory bank of at most this many bits is mapped to LUTRAM (64 bits per LUT) by HLS. */
  LUTRAM_MAX_BITS: 1024,
  /** A buffer of at least this many bits goes to URAM when the board has URAM (bind_storage uram). */
  URAM_MIN_BUFFER_BITS: 1 << 20,
  /** A FIFO of at most this depth is an SRL (LUTs), deeper ones use BRAM. */
  SRL_MAX_DEPTH: 32,

  // ---- timing ------------------------------------------------------------------------------
  /** Rule-of-thumb fmax of an HLS design on an empty device, per DSP kind (UltraScale+ -2, Versal -2). */
  FMAX_BASE_MHZ: { dsp48e2: 450, dsp58: 500 } as Record<string, number>,
  /** fmax falls with utilisation u (highest resource fraction of the fullest SLR): base × (1 − c·u²). */
  FMAX_CONGESTION: 0.5,
} as const;
