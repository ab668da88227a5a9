/**
 * Coefficients of the power model (src/kernels/power.ts, src/design/power.ts). docs/power.md gives
 * the source of each one and says how rough it is. They are ROUGH ESTIMATES in the spirit of
 * Xilinx's Power Estimator (XPE, UG440) for 16 nm UltraScale+ at the default toggle rate (12.5%)
 * and BRAM/URAM enable rate (50%): good to a factor of about 1.5 for a design's dynamic power, not
 * a replacement for XPE or `report_power` on a routed design.
 */
export const POWER = {
  /**
   * Dynamic power of one resource while its kernel computes, in µW per MHz (so W = count × coeff
   * × MHz × 1e-6). DSP48E2: a 27×18 multiply-accumulate with its pipeline registers; BRAM18 and URAM
   * at 50% enable; LUT and FF include their share of routing (signals).
   */
  ACTIVE_UW_PER_MHZ: { dsp: 4.0, bram18: 3.0, uram: 10.0, lut: 0.02, ff: 0.008 },
  /**
   * Clock-tree power per flip-flop / DSP / block RAM while the clock runs, busy or not (HLS kernels
   * do not gate their clock when idle), in µW per MHz.
   */
  CLOCK_UW_PER_MHZ: { dsp: 0.5, bram18: 0.5, uram: 1.0, lut: 0, ff: 0.003 },
  /** One clock domain's MMCM and global buffers (W), always on. */
  CLOCK_GENERATOR_W: 0.1,
  /** Versal (7 nm, DSP58) dynamic and clock power relative to 16 nm UltraScale+, same resources. */
  DSP58_SCALE: 0.7,
  /**
   * Off-chip traffic energy per bit (pJ/bit), device + PHY + controller: DDR4 and the Zynq PS DDR4
   * about 20, LPDDR4 about 8, HBM2 about 7, PLRAM (on-chip) about 1.
   */
  MEMORY_PJ_PER_BIT: { ddr: 20, 'ps-ddr': 20, lpddr: 8, hbm: 7, plram: 1 } as Record<string, number>,
} as const;
