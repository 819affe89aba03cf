/**
 * `wait(objects, { timeout })` (Python's `multiprocessing.connection.wait`): which of some
 * connections, listeners and process sentinels are ready. A connection is ready when `recv` would
 * not wait (a message, or the end of the stream); a listener when `accept` would not wait; a
 * sentinel (`process.sentinel`, or any promise; or a started `Process` itself) when it has settled. Node has no `select()` over
 * these, so readiness is tracked with promises.
 */
import { Connection, kWhenReadable } from "./connection.js";
import { Listener } from "./listener.js";
import { Process } from "./process.js";
import { ThreadConnection } from "./thread-pipe.js";
import { checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";

/** What `wait` can watch (a `Process` stands for its sentinel). */
export type Waitable = Connection | ThreadConnection | Listener | Process | Promise<unknown>;

/**
 * Resolves the ready objects, in the order given, as soon as one is ready; an empty list when
 * `timeout` ms pass first.
 */
export async function wait<T extends Waitable>(objects: readonly T[], options: WaitOptions = {}): Promise<T[]> {
  const timeout = checkTimeout(options.timeout, "wait: timeout");
  const signal = checkSignal(options.signal, "wait: signal");
  const settled = new Set<T>();
  // A thread connection is watched with its own poll, which must not outlive this wait.
  const polls = new AbortController();
  const readiness = objects.map((object, index) => {
    let promise: Promise<unknown>;
    if (object instanceof Connection || object instanceof Listener) promise = object[kWhenReadable]();
    else if (object instanceof ThreadConnection) promise = object.poll({ timeout: Infinity, signal: polls.signal }).then(() => undefined, (error: unknown) => (polls.signal.aborted ? new Promise(() => {}) : Promise.reject(error)));
    else if (object instanceof Promise) promise = object;
    else if (object instanceof Process) promise = object.sentinel;
    else throw new TypeError(`wait: objects[${index}] must be a Connection, a ThreadConnection, a Listener, a Process or a sentinel promise: got ${describe(object)}`);
    return promise.then(
      () => settled.add(object),
      () => settled.add(object),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<void>((resolve, reject) => {
    if (timeout !== undefined) timer = setTimeout(resolve, timeout);
    if (signal !== undefined) {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    await Promise.race([Promise.race(readiness), stop]);
    // Let others that are ready in the same turn be counted too.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return objects.filter((object) => settled.has(object));
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    polls.abort();
  }
}
