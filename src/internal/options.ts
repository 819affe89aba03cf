/**
 * The options every waiting call takes, and their checks, shared by all layers.
 *
 * Time is milliseconds, as in every Node API. `undefined` waits forever.
 */

/** Options of a call that may wait. */
export interface WaitOptions {
  /** Longest wait, in milliseconds; `undefined` waits forever. Negative values are refused. */
  timeout?: number | undefined;
  /** Aborting it ends the wait at once with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Longest single timer Node can arm (setTimeout's ceiling), in milliseconds. */
export const TIMEOUT_MAX = 2 ** 31 - 1;

/**
 * Checks a `timeout` option: a finite number of milliseconds, zero or more, or undefined.
 * @param where names the call and argument in the error, e.g. `"Lock.acquire: timeout"`.
 */
export function checkTimeout(timeout: number | undefined, where: string): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(`${where} must be a number of milliseconds: got ${describe(timeout)}`);
  }
  if (timeout < 0) throw new RangeError(`${where} must not be negative: got ${timeout}`);
  // Node fires a longer timer after 1 ms: a wait of 30 days would end at once. Python raises
  // OverflowError past its TIMEOUT_MAX; Infinity stays (where a call allows it, it waits for good).
  if (timeout > TIMEOUT_MAX && timeout !== Infinity) {
    throw new RangeError(`${where} must be at most TIMEOUT_MAX (${TIMEOUT_MAX} ms, about 24.8 days): got ${timeout}; leave it out to wait without a limit`);
  }
  return timeout;
}

/**
 * Checks that `options` is an options object, or undefined. A bare number is refused with a
 * TypeError naming the call: Python's positional timeout (in seconds), ported as is, would
 * otherwise be ignored and the call wait without a limit.
 * @param where names the call, e.g. `"Event.wait"`.
 */
export function checkOptions(options: unknown, where: string): void {
  if (options === undefined || (typeof options === "object" && options !== null)) return;
  const hint = typeof options === "number" ? ", not a number (a timeout goes in { timeout }, in milliseconds)" : "";
  throw new TypeError(`${where}: options must be an object${hint}: got ${describe(options)}`);
}

/** Checks a `signal` option and throws its reason when it has already aborted. */
export function checkSignal(signal: AbortSignal | undefined, where: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new TypeError(`${where} must be an AbortSignal: got ${describe(signal)}`);
  signal.throwIfAborted();
  return signal;
}

/** The absolute deadline (`performance.now()` clock) of a timeout, or Infinity. */
export function deadlineOf(timeout: number | undefined): number {
  return timeout === undefined ? Infinity : performance.now() + timeout;
}

/** Milliseconds left until a deadline, never negative. */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/** A short description of a value for error messages: its type, and the value when it is short. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "string") return value.length > 40 ? `string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "symbol") return value.toString();
  const ctor = (value as object).constructor;
  return ctor && ctor.name ? `an instance of ${ctor.name}` : "an object";
}
