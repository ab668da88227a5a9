/**
 * Ctrl-C and SIGTERM: one line saying what was interrupted, every child process stopped (the whole
 * tree: a g++ driver's cc1plus too, which a plain kill of g++ would orphan), the temporary files
 * and directories registered here removed; then exit 130 (SIGINT) or 143 (SIGTERM).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const temporaries = new Set<string>();

/** Registers a temporary path to remove on interruption; returns a function that unregisters it. */
export function removeOnInterrupt(path: string): () => void {
  temporaries.add(path);
  return () => temporaries.delete(path);
}

/** Every descendant of `root` (Linux /proc), children before their own children. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** Whether the process exists and is not a zombie (a zombie has ended; its parent just has not reaped it). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Installs the handlers; `what` describes the running command for the message. */
export function handleInterrupts(what: () => string): void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(
      `\nubimoe: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} (${what()}); stopping\n`,
    );
    // stop the tree from the leaves' parents down, so no child is re-parented and left running
    const tree = descendants(process.pid);
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // exit only once they are gone (SIGKILL is delivered asynchronously), so nothing outlives us
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 400 && tree.some(running); i++) Atomics.wait(sleeper, 0, 0, 5);
    for (const p of temporaries) rmSync(p, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
