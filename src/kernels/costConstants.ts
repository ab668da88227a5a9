/**
 * Every calibration constant of the cost model, in one place (docs/cost-model.md explains them).
 *
 * What the model is calibrated on: UbiMoE's published Alveo U280 point (MODEL.md: M³ViT-tiny,
 * W16A32, 200 MHz, linear 16×16 × 3 lanes, attention 4 × 8, 256-bit AXI: 316.1K LUT, 385.9K FF).
 * Only the LUT/FF-per-MAC constants below were fitted to it (see LUT_PER_MAC / FF_PER_MAC). DSP
 * counts are structural (operand widths and the DSP primitive), never fitted. Cycle counts come
 * from loop trip counts and documented pipeline depths, not fitted to the published 10.33 ms
 * (UbiMoE batches images per layer and keeps attention weights on chip; ubimoe streams every
 * block's weights per image, so its latency for the same parameters is expected to be higher).
 * What it is NOT calibrated on: any synthesis or board run of ubimoe's own kernels, BRAM (the
 * published 974 does not say BRAM18 or BRAM36), fmax (a rule of thumb), the other boards.
 */
export const COST = {
  // ---- off-chip memory -------------------------------------------------------------------
  /** Fraction of the AXI peak (width × clock) reached by HLS m_axi bursts of 16..64 beats. */
  BURST_EFFICIENCY: 0.85,
  /** Fraction of a channel's data-sheet GB/s reached by one long sequential reader. */
  CHANNEL_EFFICIENCY: { hbm: 0.9, ddr: 0.85, lpddr: 0.8, 'ps-ddr': 0.8, plram: 1 } as Record<string, number>,
  /** Bandwidth factor of a port whose memory channel is on another SLR (SLR-crossing pipeline). */
  SLR_CROSSING_BANDWIDTH: 0.9,
  /** A dataflow FIFO shallower than this stalls the burst reader proportionally (depth / this). */
  FULL_RATE_STREAM_DEPTH: 32,
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
   * LayerNorm (layernorm.h): per row three passes (mean, variance, normalise) at tile_in elements
   * per cycle, plus this per-row latency (three pipeline fills, the lane adds, the mean multiply,
   * the rsqrt; an estimate).
   */
  LAYERNORM_ROW_OVERHEAD: 30,
  /** Streaming attention: dataflow fill per query group (QK, softmax, AV stages). */
  ATTN_GROUP_FILL: 30,
  /** Online softmax bookkeeping per key block that does not overlap the head-dim loop. */
  ATTN_BLOCK_OVERHEAD: 2,
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
  /** Multiplies per non-linear unit (table + linear interpolation = 1 mult; Newton step = 2). */
  EXP_MULTS: 1,
  GELU_MULTS: 2,
  RECIP_MULTS: 2,
  RSQRT_MULTS: 2,

  // ---- LUT / FF (fitted: LUT_PER_MAC, FF_PER_MAC; the rest are estimates) ------------------
  /** Per MAC lane: adder-tree share, accumulator, operand routing and pipeline registers. */
  LUT_PER_MAC: 106,
  FF_PER_MAC: 105,
  /** Per non-linear unit (tables in LUTROM, range reduction, interpolation). */
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
