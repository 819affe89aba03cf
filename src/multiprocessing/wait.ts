/**
 * `wait(objects, { timeout })` (Python's `multiprocessing.connection.wait`): which of some
 * connections, listeners, sockets and process sentinels are ready. A connection is ready when
 * `recv` would not wait (a message, or the end of the stream); a listener when `accept` would not
 * wait; a `net.Socket` when it has bytes to read, has ended, or failed (Python's `wait` takes
 * sockets too); a sentinel (`process.sentinel`, or any promise; or a started `Process` itself)
 * when it has settled. Node has no `select()` over these, so readiness is tracked with promises.
 */
import { Connection, kWhenReadable } from "./connection.js";
import { Listener } from "./listener.js";
import { Process, kHoldOpen } from "./process.js";
import { ThreadConnection } from "./thread-pipe.js";
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { Socket } from "node:net";

/** What `wait` can watch (a `Process` stands for its sentinel). */
export type Waitable = Connection | ThreadConnection | Listener | Process | Socket | Promise<unknown>;

/**
 * Resolves the ready objects, in the order given, as soon as one is ready; an empty list when
 * `timeout` ms pass first.
 */
export async function wait<T extends Waitable>(objects: readonly T[], options: WaitOptions = {}): Promise<T[]> {
  checkOptions(options, "wait");
  const given: unknown = objects;
  if (!Array.isArray(given)) throw new TypeError(`wait: objects must be an array of connections, listeners, sockets, processes or sentinels: got ${describe(given)}`);
  const timeout = checkTimeout(options.timeout, "wait: timeout");
  const signal = checkSignal(options.signal, "wait: signal");
  const settled = new Set<T>();
  // A thread connection is watched with its own poll, which must not outlive this wait.
  const polls = new AbortController();
  const releases: Array<() => void> = [];
  const readiness = objects.map((object, index) => {
    let promise: Promise<unknown>;
    if (object instanceof Connection || object instanceof Listener) promise = object[kWhenReadable]();
    else if (object instanceof ThreadConnection) promise = object.poll({ timeout: Infinity, signal: polls.signal }).then(() => undefined, (error: unknown) => (polls.signal.aborted ? new Promise(() => {}) : Promise.reject(error)));
    else if (object instanceof Socket) promise = whenSocketReadable(object, polls.signal);
    else if (object instanceof Promise) promise = object;
    else if (object instanceof Process) {
      promise = object.sentinel;
      releases.push(object[kHoldOpen]());
    }
    else {
      for (const release of releases) release();
      throw new TypeError(`wait: objects[${index}] must be a Connection, a ThreadConnection, a Listener, a net.Socket, a Process or a sentinel promise: got ${describe(object)}`);
    }
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
    for (const release of releases) release();
  }
}

/**
 * Settles once `socket.read()` would return something (bytes, or null at the end) without waiting.
 * The 'readable' listener is removed when the wait ends, which gives a socket read by 'data'
 * events back its flow.
 */
function whenSocketReadable(socket: Socket, done: AbortSignal): Promise<void> {
  if (socket.readableLength > 0 || socket.readableEnded || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const settle = () => {
      socket.off("readable", settle);
      socket.off("close", settle);
      done.removeEventListener("abort", settle);
      resolve();
    };
    socket.on("readable", settle);
    socket.once("close", settle);
    done.addEventListener("abort", settle, { once: true });
  });
}
