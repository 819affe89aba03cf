/**
 * `LoopPool`: Python's `multiprocessing.pool.ThreadPool` as it is mostly used, for I/O-bound work
 * (fetching, SSH, databases), run on this thread's event loop: at most `processes` calls in flight
 * at once, the rest waiting in order. It has the API of `Pool` and `ThreadPool`.
 *
 *   const pool = new LoopPool({ processes: 10 });
 *   const pages = await pool.map((url: string) => fetch(url).then((r) => r.text()), urls);
 *   await pool.close(); await pool.join();
 *
 * Functions are called directly, as threads call them: closures work, and arguments and results
 * are the very objects (nothing is copied). A call lasts until its promise settles; a function
 * that computes for long blocks the loop, and belongs in a `ThreadPool` (worker threads) or a
 * `Pool` (processes). A map chunk's items are called one after another, as one Python worker
 * thread takes them. Nothing can stop a call already running: `terminate()` and an aborted
 * `signal` reject its result at once and drop its value when it comes; no other item of its
 * chunk is called after it.
 */
import { describe } from "../../internal/options.js";
import type { TaskFunction } from "../../internal/task.js";
import { cpuCount } from "../context.js";
import { ProcessError } from "../errors.js";
import { AsyncResult, asPromise } from "./async-result.js";
import type { ApplyOptions, IMapOptions, MapAsyncOptions, MapOptions, PoolState, TaskOptions } from "./base-pool.js";
import { PoolTerminatedError } from "./errors.js";
import { MapResult } from "./map-result.js";
import type { PoolIterator } from "./pool-iterator.js";
import { cancelOnAbort, checkRunning, checkSignal, mapItems, startIterator } from "./submission.js";
import { abandon, deliver, drain, type TaskSink } from "./sink.js";
import type { Task } from "./task.js";
import { CALL, MAP, STARMAP, type Mode } from "./wire.js";

/** Options of `new LoopPool()`. */
export interface LoopPoolOptions {
  /**
   * How many calls run at once.
   * @default cpuCount(), as Python's ThreadPool (I/O-bound work usually wants more)
   */
  processes?: number | undefined;
  /** Called once per worker (`processes` times) before any task, as in each of Python's threads. */
  initializer?: ((...args: never[]) => unknown) | undefined;
  /** Arguments of `initializer`. */
  initargs?: readonly unknown[] | undefined;
}

type Result<F extends TaskFunction> = Awaited<ReturnType<F>>;

/** A function called with whatever arguments the pool was given for it. */
type AnyCall = (...args: unknown[]) => unknown;

interface LoopTask extends Task {
  readonly call: AnyCall;
}

export class LoopPool implements AsyncDisposable {
  /** How many calls run at once. */
  readonly processes: number;
  #state: PoolState = "RUN";
  #queue: LoopTask[] = [];
  #head = 0;
  /** Until the initializers have run: tasks wait. */
  #starting: boolean;
  #broken: Error | undefined;
  #dispatchScheduled = false;
  #nextTaskId = 1;
  #openIterators = 0;
  readonly #iterators = new Set<TaskSink>();
  /** The tasks running (at most `processes`; terminate() abandons their sinks). */
  readonly #runningTasks = new Set<LoopTask>();
  #idleWaiters: Array<() => void> = [];

  /**
   * @throws RangeError for a bad `processes`; TypeError for an initializer that is not a function.
   */
  constructor(options: LoopPoolOptions = {}) {
    const processes = options.processes ?? cpuCount();
    if (typeof processes !== "number") throw new TypeError(`LoopPool: processes must be a number: got ${describe(processes)}`);
    if (!Number.isInteger(processes) || processes < 1) throw new RangeError(`LoopPool: processes must be an integer of at least 1: got ${describe(processes)}`);
    const { initializer, initargs = [] } = options;
    if (initializer !== undefined && typeof initializer !== "function") throw new TypeError(`LoopPool: initializer must be a function: got ${describe(initializer)}`);
    if (!Array.isArray(initargs)) throw new TypeError(`LoopPool: initargs must be an array: got ${describe(initargs)}`);
    this.processes = processes;
    this.#starting = initializer !== undefined;
    if (initializer !== undefined) void this.#initialize(initializer as unknown as AnyCall, initargs);
  }

  async #initialize(initializer: AnyCall, initargs: readonly unknown[]): Promise<void> {
    try {
      await Promise.all(Array.from({ length: this.processes }, async () => initializer(...initargs)));
    } catch (error) {
      this.#broken = new ProcessError(`Cannot run tasks: the pool's initializer failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      void this.terminate();
      return;
    }
    this.#starting = false;
    this.#scheduleDispatch();
  }

  /** `RUN`, `CLOSE` or `TERMINATE`. */
  get state(): PoolState {
    return this.#state;
  }

  // --- Submitting --------------------------------------------------------------------------------

  /** Calls `fn(...args)`; resolves its value (Python's `apply`). */
  apply<F extends TaskFunction>(fn: F, args: Parameters<F>, options: TaskOptions = {}): Promise<Result<F>> {
    try {
      return this.applyAsync(fn, args, { signal: options.signal })[asPromise]();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls `fn(...args)` when a place is free and returns at once with an `AsyncResult`.
   * @throws RangeError when the pool is closed or terminated; TypeError for a bad argument.
   */
  applyAsync<F extends TaskFunction>(fn: F, args: Parameters<F>, options?: ApplyOptions<Result<F>>): AsyncResult<Result<F>> {
    this.#checkRunning("submit task");
    this.#checkFunction(fn, "applyAsync");
    if (!Array.isArray(args)) throw new TypeError(`LoopPool.applyAsync: args must be an array: got ${describe(args)}`);
    const signal = checkSignal(options?.signal, "LoopPool.applyAsync");
    const result = new AsyncResult<Result<F>>(options, "task");
    if (signal?.aborted) {
      result[abandon](signal.reason as Error);
      return result;
    }
    const task = this.#enqueue(fn as unknown as AnyCall, CALL, args, result, 0);
    if (signal !== undefined) cancelOnAbort(signal, result, [task]);
    return result;
  }

  /** Applies `fn` to every item, in chunks; resolves the values in order (Python's `map`). */
  map<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]>, options: MapOptions = {}): Promise<Result<F>[]> {
    try {
      return this.#mapAsync<Result<F>>(fn, iterable, options, MAP, "map")[asPromise]();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `map` returning an `AsyncResult` at once. */
  mapAsync<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]>, options: MapAsyncOptions<Result<F>> = {}): AsyncResult<Result<F>[]> {
    return this.#mapAsync(fn, iterable, options, MAP, "mapAsync");
  }

  /** Like `map`, each item being the argument list: `fn(...item)` (Python's `starmap`). */
  starmap<F extends TaskFunction>(fn: F, iterable: Iterable<Parameters<F>>, options: MapOptions = {}): Promise<Result<F>[]> {
    try {
      return this.#mapAsync<Result<F>>(fn, iterable, options, STARMAP, "starmap")[asPromise]();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `starmap` returning an `AsyncResult` at once. */
  starmapAsync<F extends TaskFunction>(fn: F, iterable: Iterable<Parameters<F>>, options: MapAsyncOptions<Result<F>> = {}): AsyncResult<Result<F>[]> {
    return this.#mapAsync(fn, iterable, options, STARMAP, "starmapAsync");
  }

  /** Applies `fn` to the items as they are read from `iterable` (sync or async), yielding the values in order. */
  imap<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>, options: IMapOptions = {}): PoolIterator<Result<F>> {
    return this.#imap(fn, iterable, options, true, "imap");
  }

  /** Like `imap`, yielding values as they complete. */
  imapUnordered<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>, options: IMapOptions = {}): PoolIterator<Result<F>> {
    return this.#imap(fn, iterable, options, false, "imapUnordered");
  }

  #mapAsync<R>(fn: (...args: never[]) => unknown, iterable: Iterable<unknown>, options: MapAsyncOptions<R>, mode: Mode, method: string): MapResult<R> {
    this.#checkRunning("submit task");
    this.#checkFunction(fn, method);
    const where = `LoopPool.${method}`;
    const { items, chunksize } = mapItems(iterable, options.chunksize, this.processes, where, mode === STARMAP);
    const signal = checkSignal(options.signal, where);
    const chunks = Math.ceil(items.length / chunksize);
    const result = new MapResult<R>(items.length, chunks, options, method);
    if (signal?.aborted) {
      result[abandon](signal.reason as Error);
      return result;
    }
    const tasks: Task[] = [];
    for (let c = 0; c < chunks; c++) tasks.push(this.#enqueue(fn as unknown as AnyCall, mode, items.slice(c * chunksize, (c + 1) * chunksize), result, c));
    if (signal !== undefined) cancelOnAbort(signal, result, tasks);
    return result;
  }

  #imap<R>(fn: (...args: never[]) => unknown, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: IMapOptions, ordered: boolean, method: string): PoolIterator<R> {
    this.#checkRunning("submit task");
    this.#checkFunction(fn, method);
    const call = fn as unknown as AnyCall;
    const mode = (options.chunksize ?? 1) === 1 ? CALL : MAP;
    return startIterator<R>(iterable, options, ordered, method, `LoopPool.${method}`, this.processes, {
      submit: (chunk, sink, chunkIndex) => {
        if (this.#state === "TERMINATE") throw this.#terminatedError();
        return this.#enqueue(call, mode, chunk, sink, chunkIndex);
      },
      opened: () => this.#openIterators++,
      closed: () => {
        this.#openIterators--;
        this.#maybeIdle();
      },
      iterators: this.#iterators,
    });
  }

  #checkRunning(action: string): void {
    checkRunning(this.#state, action, this.#broken);
  }

  #checkFunction(fn: unknown, method: string): void {
    if (typeof fn !== "function") throw new TypeError(`LoopPool.${method}: func must be a function: got ${describe(fn)}`);
  }

  // --- Running -----------------------------------------------------------------------------------

  #enqueue(call: AnyCall, mode: Mode, payload: unknown[], sink: TaskSink, index: number): LoopTask {
    const task: LoopTask = { id: this.#nextTaskId++, fn: 0, call, mode, payload, sink, index, cancelled: false };
    this.#queue.push(task);
    this.#scheduleDispatch();
    return task;
  }

  /** Tasks start on a later microtask: `applyAsync` returns before its function runs, as in Python. */
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (!this.#starting && this.#state !== "TERMINATE" && this.#runningTasks.size < this.processes && this.#head < this.#queue.length) {
      const task = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as LoopTask;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      if (task.cancelled) continue;
      void this.#run(task);
    }
    this.#maybeIdle();
  }

  async #run(task: LoopTask): Promise<void> {
    this.#runningTasks.add(task);
    let ok = true;
    let value: unknown;
    try {
      const items = task.payload as unknown[];
      if (task.mode === CALL) {
        value = await task.call(...items);
      } else {
        const values: unknown[] = [];
        for (const item of items) {
          // Terminated, or its job aborted: the chunk's other items are not called.
          if (task.cancelled || this.#state === "TERMINATE") break;
          values.push(await (task.mode === STARMAP ? task.call(...(item as unknown[])) : task.call(item)));
        }
        value = values;
      }
    } catch (error) {
      ok = false;
      value = error;
    }
    this.#runningTasks.delete(task);
    if (!task.cancelled && this.#state !== "TERMINATE") task.sink[deliver](task.index, ok, value);
    this.#dispatch();
  }

  // --- Ending --------------------------------------------------------------------------------------

  /** No more tasks may be submitted; those queued still run. */
  close(): void {
    if (this.#state === "RUN") {
      this.#state = "CLOSE";
      this.#maybeIdle();
    }
  }

  /**
   * Stops at once: results not ready yet reject with `PoolTerminatedError`, queued tasks never run.
   * Calls already running cannot be stopped; their values are dropped (`join()` waits for them).
   */
  terminate(): Promise<void> {
    if (this.#state !== "TERMINATE") {
      this.#state = "TERMINATE";
      const error = this.#terminatedError();
      const sinks = new Set<TaskSink>();
      for (let i = this.#head; i < this.#queue.length; i++) sinks.add(this.#queue[i]!.sink);
      this.#queue = [];
      this.#head = 0;
      for (const task of this.#runningTasks) sinks.add(task.sink);
      for (const iterator of this.#iterators) sinks.add(iterator);
      for (const sink of sinks) sink[abandon](error);
    }
    this.#maybeIdle();
    return Promise.resolve();
  }

  /**
   * Waits until every task has run (after `close()`), or the calls still running have ended
   * (after `terminate()`).
   * @throws RangeError when the pool is still running (as Python's `join`).
   */
  join(): Promise<void> {
    if (this.#state === "RUN") return Promise.reject(new RangeError("Cannot join pool: pool is still running"));
    for (const iterator of this.#iterators) iterator[drain]?.();
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** `await using pool = new LoopPool()`: **terminates** the pool, as Python's `with ThreadPool()` does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  #idle(): boolean {
    if (this.#runningTasks.size > 0) return false;
    return this.#state === "TERMINATE" || (this.#head === this.#queue.length && this.#openIterators === 0);
  }

  #maybeIdle(): void {
    if (this.#state === "RUN" || !this.#idle()) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #terminatedError(): Error {
    return this.#broken ?? new PoolTerminatedError("Cannot complete task: pool was terminated");
  }

  get [Symbol.toStringTag](): string {
    return "LoopPool";
  }
}
