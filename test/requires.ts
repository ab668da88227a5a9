/**
 * What a test needs from the machine. Under CI (CI=true) a missing tool fails the suite: a green run
 * must mean the tests ran. Elsewhere the test is skipped and says so loudly on stderr.
 */
export function requires(what: string, available: boolean, install: string): boolean {
  if (available) return true;
  if (process.env.CI) throw new Error(`${what} is missing, and CI must run every test: ${install}`);
  process.stderr.write(`\n*** SKIPPED: ${what} is missing (${install}) ***\n\n`);
  return false;
}
