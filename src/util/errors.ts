/**
 * Error classes that decide the exit code.
 * UserError: the user gave something wrong (flag, file, config) -> one line on stderr, exit 2.
 * Anything else that escapes is an internal fault -> exit 1 with its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * An external tool run through ubimoe failed (a synthesis error, a failing compile): exit 1 with
 * the message (which may span lines, e.g. a log tail), no stack: not a fault of ubimoe itself.
 */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Throws a UserError unless `cond` holds. */
export function ensure(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new UserError(typeof message === 'function' ? message() : message);
}

/** One-line description of any thrown value (for error messages that wrap another error). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
