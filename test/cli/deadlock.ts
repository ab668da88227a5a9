/**
 * A project that deadlocks under the timed C-simulation, for the csim and run --cycles tests. No
 * generated design can deadlock (each region's processes use their FIFOs in one order), so a copy's
 * engine reader is edited: it sends a pass descriptor after that pass's tiles, which the compute
 * process waits for before reading any tile. Plain csim (unbounded FIFOs) would still run.
 */
import { expect } from '@jest/globals';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Copies the project at `from` to `to` and edits the copy's linear.h so that it deadlocks. */
export function writeDeadlockedCopy(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
  const header = join(to, 'include', 'ubimoe', 'linear.h');
  const src = readFileSync(header, 'utf8');
  // the descriptor's write moved from the start of the pass's burst to after the pass's loop
  const moved = src
    .replace('      if (k == 0) to_mac.write(d);\n', '')
    .replace(
      "\n    }\n  }\n}\n\n// A tile's words",
      "\n    }\n    to_mac.write(d);\n  }\n}\n\n// A tile's words",
    );
  expect(moved).not.toBe(src);
  expect(moved.match(/to_mac\.write\(d\)/g)).toHaveLength(1);
  writeFileSync(header, moved);
}
