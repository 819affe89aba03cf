/**
 * What happens to an exception that escapes a Thread: Python's `threading.excepthook`.
 *
 * The default prints "Exception in thread NAME:" and the stack to stderr; the process goes on.
 * ES module exports cannot be assigned from outside, so the hook is replaced with `setExcepthook`.
 */

/** What the hook receives (Python's `ExceptHookArgs`). */
export interface ExceptHookArgs<T = { readonly name: string }> {
  /** The error's class name (`"TypeError"`), or the type of a non-Error thrown value. */
  readonly excType: string;
  /** The thrown value. */
  readonly excValue: unknown;
  /** The stack text, when the value has one. */
  readonly excTraceback: string | undefined;
  /** The thread it escaped from. */
  readonly thread: T | null;
}

/** A hook receiving exceptions that escape threads. */
export type ExceptHook = (args: ExceptHookArgs) => void;

/** The default hook (Python's `threading.__excepthook__`). */
export function defaultExcepthook(args: ExceptHookArgs): void {
  const name = args.thread?.name ?? "<unknown>";
  const value = args.excValue;
  const text = args.excTraceback ?? (value instanceof Error ? `${value.name}: ${value.message}` : `${args.excType}: ${String(value)}`);
  process.stderr.write(`Exception in thread ${name}:\n${text}\n`);
}

let hook: ExceptHook = defaultExcepthook;

/** Replaces the hook (`undefined` restores the default). Returns the previous one. */
export function setExcepthook(newHook: ExceptHook | undefined): ExceptHook {
  if (newHook !== undefined && typeof newHook !== "function") throw new TypeError("setExcepthook: hook must be a function");
  const previous = hook;
  hook = newHook ?? defaultExcepthook;
  return previous;
}

/** The hook in use now. */
export function getExcepthook(): ExceptHook {
  return hook;
}

/** Reports `error` escaping `thread` through the hook; a failing hook is reported by the default one. */
export function excepthook(args: ExceptHookArgs): void {
  try {
    hook(args);
  } catch (hookError) {
    defaultExcepthook({ ...args, excValue: hookError, excType: typeName(hookError), excTraceback: stackOf(hookError) });
  }
}

/** Builds the hook's arguments for a value thrown in `thread`. */
export function exceptArgs<T extends { readonly name: string }>(error: unknown, thread: T | null): ExceptHookArgs<T> {
  return { excType: typeName(error), excValue: error, excTraceback: stackOf(error), thread };
}

function typeName(error: unknown): string {
  if (error instanceof Error) return error.name;
  if (error === null) return "null";
  return typeof error;
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error && typeof error.stack === "string" ? error.stack : undefined;
}
