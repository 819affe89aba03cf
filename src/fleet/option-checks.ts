/**
 * The checks of a Fleet's options and of each run's, made when they are given: a number out of
 * range would otherwise surface later, host by host, as something else (a negative or NaN
 * `connectTimeout` ended every host `timeout` at once, `timeout: NaN` said "timed out after
 * NaNmNaNs", and `run(cmd, 10)` ignored its 10).
 */
import { TIMEOUT_MAX, checkOptions, checkTimeout, describe } from "../internal/options.js";

/** What `new Fleet` checks of its options (those the resolver, credentials and gate read included). */
export interface CheckedFleetOptions {
  forks?: unknown;
  handshakesPerServer?: unknown;
  connectTimeout?: unknown;
  defaultConnectTimeout?: unknown;
  retries?: unknown;
  retryDelay?: unknown;
  keepConnections?: unknown;
}

/** Throws a TypeError or RangeError naming the option and the value given. */
export function checkFleetOptions(options: unknown): void {
  checkOptions(options, "new Fleet");
  const o = (options ?? {}) as CheckedFleetOptions;
  positiveInteger(o.forks, "forks");
  positiveInteger(o.handshakesPerServer, "handshakesPerServer");
  connectTimeout(o.connectTimeout, "connectTimeout");
  connectTimeout(o.defaultConnectTimeout, "defaultConnectTimeout");
  if (o.retries !== undefined && (typeof o.retries !== "number" || !Number.isInteger(o.retries) || o.retries < 0)) {
    throw new RangeError(`Fleet: retries must be an integer, 0 or more: got ${describe(o.retries)}`);
  }
  if (o.retryDelay !== undefined && (typeof o.retryDelay !== "number" || !Number.isFinite(o.retryDelay) || o.retryDelay < 0)) {
    throw new RangeError(`Fleet: retryDelay must be a number of milliseconds, 0 or more: got ${describe(o.retryDelay)}`);
  }
  const keep = o.keepConnections;
  if (keep !== undefined && typeof keep !== "boolean" && (typeof keep !== "number" || !Number.isInteger(keep) || keep < 0)) {
    throw new RangeError(`Fleet: keepConnections must be true, false or a number of connections (0 or more): got ${describe(keep)}`);
  }
}

/**
 * Checks a run's options object, its `timeout` (milliseconds; Infinity is no limit, as leaving it
 * out is) and its `signal`; returns the timeout to use.
 */
export function checkRunOptions(options: unknown, where: string, takesTimeout = true): number | undefined {
  checkOptions(options, where);
  const o = (options ?? {}) as { timeout?: unknown; signal?: unknown };
  const timeout = takesTimeout ? checkTimeout(o.timeout as number | undefined, `${where}: timeout`) : undefined;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`${where}: signal must be an AbortSignal: got ${describe(o.signal)}`);
  return timeout === Infinity ? undefined : timeout;
}

function positiveInteger(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new RangeError(`Fleet: ${name} must be a positive integer: got ${describe(value)}`);
}

/** A fleet's connects are always bounded: from 1 ms to Node's longest timer, as `connect_timeout` is. */
function connectTimeout(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`Fleet: ${name} must be a number of milliseconds: got ${describe(value)}`);
  if (value < 1 || value > TIMEOUT_MAX) throw new RangeError(`Fleet: ${name} must be from 1 to ${TIMEOUT_MAX} ms (about 24.8 days): got ${value}`);
}
