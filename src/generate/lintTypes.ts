/** What the synthesisability lint reports (lint.ts runs the rules; banks.ts holds the memory-port ones). */

/** The memory-port rules (docs/hls-rules.md). */
export type BankRule = 'arg-partition' | 'bank-index' | 'rom-replication' | 'pow2-factor';

export interface LintIssue {
  file: string;
  line: number;
  rule: 'heap' | 'stl' | 'float' | 'recursion' | 'tripcount' | 'include' | BankRule;
  message: string;
  site?: string; // function/loop label (the memory-port rules)
  known?: boolean; // a KNOWN_SITES entry: reported, not fatal
}
