/**
 * What every pool (`Pool`, `ThreadPool`, `LoopPool`) does the same way when work is handed to it:
 * its arguments checked, a map cut into chunks, an abort signal tied to a result, and the
 * iterator of `imap`. A pool says only how a chunk becomes a task (`submit`).
 */
import { describe } from "../../internal/options.js";
import { onAbort } from "./abort-fanout.js";
import { whenSettled, type AsyncResult } from "./async-result.js";
import type { IMapOptions, PoolState } from "./base-pool.js";
import { PoolIterator } from "./pool-iterator.js";
import { abandon, type TaskSink } from "./sink.js";
import type { Task } from "./task.js";

/** Refuses work unless the pool runs: a closed pool takes none, a terminated one says why it ended. */
export function checkRunning(state: PoolState, action: string, broken: Error | undefined): void {
  if (state === "RUN") return;
  if (state === "CLOSE") throw new RangeError(`Cannot ${action}: pool is closed`);
  throw new RangeError(`Cannot ${action}: pool is terminated${broken ? ` (${broken.message})` : ""}`);
}

/** `signal`, if it is an AbortSignal (or absent). `where`: `Pool.map`, for the message. */
export function checkSignal(signal: AbortSignal | undefined, where: string): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`${where}: signal must be an AbortSignal: got ${describe(signal)}`);
  return signal;
}

/**
 * The items of a map's iterable, and the chunk size: given, or Python's ceil(items / (processes × 4)).
 * For a starmap, each item must be an argument array: checked here, naming the item, rather than
 * failing in the worker.
 */
export function mapItems(iterable: Iterable<unknown>, chunksize: number | undefined, processes: number, where: string, starmap = false): { items: readonly unknown[]; chunksize: number } {
  if (iterable == null || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${where}: iterable must be iterable: got ${describe(iterable)}`);
  }
  const items = Array.isArray(iterable) ? iterable : Array.from(iterable);
  if (starmap) {
    for (let i = 0; i < items.length; i++) {
      if (!Array.isArray(items[i])) throw new TypeError(`${where}: each item must be an argument array: item ${i} is ${describe(items[i])}`);
    }
  }
  if (chunksize === undefined) return { items, chunksize: Math.max(1, Math.ceil(items.length / (processes * 4))) };
  if (!Number.isInteger(chunksize) || chunksize < 1) throw new RangeError(`${where}: chunksize must be a positive integer: got ${chunksize}`);
  return { items, chunksize };
}

/**
 * Aborting `signal` rejects `result` with its reason and cancels the tasks not started yet. The
 * listener goes when the result settles, so one signal may serve any number of tasks.
 */
export function cancelOnAbort<R>(signal: AbortSignal, result: AsyncResult<R>, tasks: readonly Task[]): void {
  const unhook = onAbort(signal, () => {
    for (const task of tasks) task.cancelled = true;
    result[abandon](signal.reason as Error);
  });
  result[whenSettled](unhook);
}

/** How a pool takes the chunks of an `imap`. */
export interface IteratorPool {
  /** Makes a chunk a task (a chunk of one is a plain call: its value needs no array around it). */
  submit(chunk: unknown[], sink: TaskSink, index: number): Task;
  /** An iterator is open (the pool cannot finish closing until it is done). */
  opened(): void;
  /** It will submit nothing more. */
  closed(): void;
  /** The pool's open iterators (terminate() abandons them, join() drains them). */
  readonly iterators: Set<TaskSink>;
}

/** The iterator of `imap` (ordered) or `imapUnordered`, over a sync or async iterable. */
export function startIterator<R>(
  iterable: Iterable<unknown> | AsyncIterable<unknown>,
  options: IMapOptions,
  ordered: boolean,
  method: string,
  where: string,
  processes: number,
  pool: IteratorPool,
): PoolIterator<R> {
  const chunksize = options.chunksize ?? 1;
  if (!Number.isInteger(chunksize) || chunksize < 1) throw new RangeError(`${where}: chunksize must be a positive integer: got ${chunksize}`);
  const buffersize = options.buffersize ?? Math.max(256, processes * 256);
  if (!Number.isInteger(buffersize) || buffersize < 1) throw new RangeError(`${where}: buffersize must be a positive integer: got ${buffersize}`);
  const source =
    iterable != null && typeof (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function" ? (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : iterable != null && typeof (iterable as Iterable<unknown>)[Symbol.iterator] === "function" ? (iterable as Iterable<unknown>)[Symbol.iterator]()
    : undefined;
  if (source === undefined) throw new TypeError(`${where}: iterable must be iterable or async iterable: got ${describe(iterable)}`);
  const signal = checkSignal(options.signal, where);
  pool.opened();
  let open = true;
  let unhook: (() => void) | undefined;
  const iterator = new PoolIterator<R>({
    source,
    chunksize,
    buffersize,
    buffersizeGiven: options.buffersize !== undefined,
    ordered,
    method,
    submit: (chunk, sink, index) => pool.submit(chunk, sink, index),
    done: () => {
      if (!open) return;
      open = false;
      unhook?.();
      pool.closed();
    },
    register: (it) => pool.iterators.add(it),
    unregister: (it) => pool.iterators.delete(it),
  });
  if (signal !== undefined) {
    // Aborting stops the feeding, cancels the chunks not sent yet, and the next `next()` rejects.
    const abort = (): void => iterator[abandon](signal.reason as Error);
    if (signal.aborted) abort();
    else if (open) unhook = onAbort(signal, abort);
  }
  return iterator;
}
