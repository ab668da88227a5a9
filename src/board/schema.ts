import { z } from 'zod';

export const RESOURCE_KEYS = ['dsp', 'bram18', 'uram', 'lut', 'ff'] as const;
export type ResourceKey = (typeof RESOURCE_KEYS)[number];

const nonNeg = z.number().nonnegative('must be >= 0');
const frac = z.number().gt(0, 'must be > 0').lte(1, 'must be <= 1');

/** Resource counts of a device or of one SLR. BRAM is counted in BRAM18 units. */
export const resourcesSchema = z
  .object({ dsp: nonNeg, bram18: nonNeg, uram: nonNeg, lut: nonNeg, ff: nonNeg })
  .strict();

export const limitsSchema = z.object({ dsp: frac, bram18: frac, uram: frac, lut: frac, ff: frac }).strict();

export const DEFAULT_LIMITS = { dsp: 0.8, bram18: 0.8, uram: 0.8, lut: 0.7, ff: 0.5 };

/** One kind of off-chip memory port group (e.g. HBM pseudo-channels, DDR banks, PS HP ports). */
export const memorySchema = z
  .object({
    kind: z.enum(['hbm', 'ddr', 'lpddr', 'ps-ddr', 'plram']),
    // v++ bank name prefix and count: HBM[0..31], DDR[0..1]; for Zynq HP ports the platform's name
    bank_prefix: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a C-like identifier'),
    count: z.number().int().positive('must be a positive integer'),
    gbps_each: z.number().positive('must be positive'), // GB/s per channel/bank/port
    axi_width_bits: z
      .number()
      .int()
      .refine((w) => [32, 64, 128, 256, 512].includes(w), 'must be 32..512, a power of two'),
    // SLR the channels are attached to: one number for all, or one per channel (multi-SLR Alveo)
    slr: z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]).optional(),
  })
  .strict()
  .refine((m) => !Array.isArray(m.slr) || m.slr.length === m.count, {
    message: 'slr list must have one entry per channel (count)',
    path: ['slr'],
  });

/**
 * Power facts of a board (docs/power.md): the part's static power at its temperature grade, what the
 * platform burns besides the kernels (Alveo: shell, PCIe, memory controllers, card; Zynq: the PS
 * running Linux and the board), and for Zynq boards the INA226 rails (hwmon `name`) by domain.
 */
export const boardPowerSchema = z
  .object({
    static_w: nonNeg,
    platform_w: nonNeg,
    rails: z.record(z.string().min(1), z.enum(['ps', 'pl', 'ddr', 'other'])).optional(),
  })
  .strict();

export const boardSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . or -'),
    description: z.string().optional(),
    part: z.string().min(1),
    platform: z.string().min(1),
    flow: z.enum(['vitis-alveo', 'vitis-embedded']),
    dsp_kind: z.enum(['dsp48e2', 'dsp58']),
    clocks_mhz: z
      .object({ default: z.number().positive(), allowed: z.array(z.number().positive()).min(1) })
      .strict()
      .refine((c) => c.allowed.includes(c.default), 'default must be one of allowed'),
    resources: resourcesSchema, // whole device, from the data sheet
    // per SLR, what the platform's dynamic region offers kernels (multi-SLR devices only)
    slrs: z.array(resourcesSchema).min(1).optional(),
    // super long lines (SLLs) across each boundary between adjacent SLRs: what a kernel spanning
    // SLRs may route across one (without it no kernel spans SLRs on the board)
    sll_per_boundary: z.number().int().positive().optional(),
    // resources the platform shell takes (static region, PCIe/XDMA, HBM/DDR controllers,
    // interconnect), not available to kernels; with `slrs`, slrs + shell = resources
    shell: resourcesSchema.partial().optional(),
    limits: limitsSchema.partial().optional(),
    memory: z.array(memorySchema).min(1),
    power: boardPowerSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const fail = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    for (const k of RESOURCE_KEYS) {
      const shell = b.shell?.[k] ?? 0;
      if (shell > b.resources[k])
        fail(['shell', k], `${shell} exceeds the device total resources.${k} = ${b.resources[k]}`);
      if (!b.slrs) continue;
      const sum = b.slrs.reduce((a, s) => a + s[k], 0);
      // the per-SLR figures are the dynamic region: they plus the shell must make the device total (1% slack for rounding)
      if (Math.abs(sum + shell - b.resources[k]) > 0.01 * b.resources[k] + 1)
        fail(
          ['slrs'],
          `${k}: sum over SLRs ${sum} + shell ${shell} = ${sum + shell}, but resources.${k} = ${b.resources[k]}`,
        );
    }
    const nSlr = b.slrs?.length ?? 1;
    if (b.sll_per_boundary !== undefined && nSlr < 2)
      fail(['sll_per_boundary'], 'only for boards with several SLRs (slrs)');
    b.memory.forEach((m, i) => {
      const slrs = m.slr === undefined ? [] : Array.isArray(m.slr) ? m.slr : [m.slr];
      for (const s of slrs)
        if (s >= nSlr)
          fail(
            ['memory', i, 'slr'],
            `SLR ${s} does not exist (the board has ${nSlr} SLR${nSlr > 1 ? 's' : ''})`,
          );
    });
  });

export type Resources = z.infer<typeof resourcesSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type Memory = z.infer<typeof memorySchema>;
export type BoardPower = z.infer<typeof boardPowerSchema>;
export type BoardInput = z.infer<typeof boardSchema>;
/** A loaded board: limits filled with defaults. */
export type Board = Omit<BoardInput, 'limits'> & { limits: Limits };
