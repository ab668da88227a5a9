/** `ubimoe report`: gather a project's reports and write one self-contained report.html. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError, describeError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { comparisonText } from './compare.js';
import { gatherReport } from './gather.js';
import { renderReport } from './html/page.js';
import type { ReportData } from './types.js';

export { gatherReport } from './gather.js';
export { renderReport } from './html/page.js';
export type { ReportData } from './types.js';

export interface WrittenReport {
  path: string;
  data: ReportData;
  comparison?: string; // predicted-vs-synthesised table as text, when synth.json exists
}

function ubimoeVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Writes `<project>/report.html` (or `output`) atomically and returns what it showed. */
export function writeReport(project: string, output?: string, now?: Date): WrittenReport {
  const data = gatherReport(project, { version: ubimoeVersion(), now });
  const path = output ?? join(project, 'report.html');
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(`${path}: is a directory (give -o a file name, e.g. ${join(path, 'report.html')})`);
  const html = renderReport(data);
  try {
    writeFileAtomic(path, html);
  } catch (err) {
    throw new UserError(`${path}: cannot write the report: ${describeError(err)}`);
  }
  return { path, data, comparison: data.comparison?.length ? comparisonText(data.comparison) : undefined };
}
