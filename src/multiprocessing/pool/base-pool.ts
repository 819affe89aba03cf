/**
 * What `Pool` and `ThreadPool` share: the state machine, the task queue, the dispatcher, results,
 * and what happens when a worker dies. Each subclass only says how to start a worker.
 *
 * Dispatch: a worker runs its tasks one at a time, in order. The pool sends each worker a window
 * of tasks in one record, sized from how long tasks take: a few when they are slow (so that ten
 * two-second tasks on five workers run five at a time, as in Python, where each worker takes one
 * task at a time), up to a thousand when they take microseconds (so a message costs nothing per
 * task).
 */
import type { Boundary } from "../../internal/codec.js";
import { toTaskRef, type TaskFunction, type TaskRef } from "../../internal/task.js";
import { cpuCount } from "../context.js";
import { describe } from "../../internal/options.js";
import { ProcessError } from "../errors.js";
import { AsyncResult, asPromise, type ResultCallbacks } from "./async-result.js";
import { PoolTerminatedError, WorkerLostError, type WorkerExit } from "./errors.js";
import { MapResult } from "./map-result.js";
import { rebuildError } from "./remote-error.js";
import type { PoolIterator } from "./pool-iterator.js";
import { cancelOnAbort, checkRunning, checkSignal, mapItems, startIterator } from "./submission.js";
import { abandon, deliver, drain, type TaskSink } from "./sink.js";
import type { Task } from "./task.js";
import {
  CALL, DEFINE, FAILED, INIT, INIT_ERROR, MAP, READY, STARMAP, STOP, HEADER_BYTES,
  decodeValue, encodeMessage, encodePayload, encodeTasks, readFloat64, type Mode,
} from "./wire.js";
import type { SpawnWorker, WorkerLink } from "./worker-link.js";
import { WorkerState } from "./worker-state.js";

/** Python's pool states (`pool.py`): INIT while starting, RUN, CLOSE after `close()`, TERMINATE. */
export type PoolState = "INIT" | "RUN" | "CLOSE" | "TERMINATE";

/** Options of every pool. */
export interface PoolOptions {
  /**
   * How many workers.
   * @default cpuCount() (`os.availableParallelism()`)
   */
  processes?: number | undefined;
  /** Run once in each worker before its first task: an exported function or a self-contained one. */
  initializer?: TaskFunction | TaskRef | undefined;
  /** Arguments of `initializer`. */
  initargs?: readonly unknown[] | undefined;
  /**
   * Tasks a worker runs before it is replaced by a fresh one (a map chunk counts as one task).
   * @default undefined (workers live as long as the pool)
   */
  maxtasksperchild?: number | null | undefined;
}

/** Options of `apply`: one signal per task. */
export interface TaskOptions {
  /**
   * Aborting rejects the result with the signal's reason. A task not sent yet never runs; one
   * already running finishes in its worker and its value is dropped.
   */
  signal?: AbortSignal | undefined;
}

/** Options of `applyAsync`. */
export interface ApplyOptions<R> extends ResultCallbacks<R>, TaskOptions {}

/** Options of `map` and `starmap`. */
export interface MapOptions extends TaskOptions {
  /**
   * Items per task sent to a worker.
   * @default ceil(items / (processes × 4)), as in Python
   */
  chunksize?: number | undefined;
}

/** Options of `mapAsync` and `starmapAsync`. */
export interface MapAsyncOptions<R> extends MapOptions, ResultCallbacks<R[]> {}

/** Options of `imap` and `imapUnordered`. */
export interface IMapOptions extends TaskOptions {
  /** Items per task. @default 1 */
  chunksize?: number | undefined;
  /**
   * How many chunks may be submitted and not yet consumed: the iterable is read only as fast as
   * results are taken, so a consumer that stops early stops feeding the pool (Python 3.16's
   * `buffersize`). @default max(256, processes × 256)
   */
  buffersize?: number | undefined;
}

/** A function a pool can run, or a `task(moduleUrl, name)` reference to one. */
export type PoolTask<F extends TaskFunction> = F | TaskRef<F>;

type Result<F extends TaskFunction> = Awaited<ReturnType<F>>;

/** Spend about this long per window of tasks in a worker (ms). */
const WINDOW_MS = 2;
const MAX_WINDOW = 1024;
/** Tasks shorter than this (ms) are sent two at a time at least. */
const PREFETCH_MS = 20;
/** Submissions after which the queue is dispatched at once rather than at the end of the tick. */
const EAGER_DISPATCH = 256;
/** A worker that dies before it is ready this many times in a row breaks the pool. */
const MAX_STARTUP_FAILURES = 3;

let poolCount = 0;

export abstract class BasePool implements AsyncDisposable {
  /** Number of workers. */
  readonly processes: number;
  #state: PoolState = "INIT";
  readonly #boundary: Boundary;
  readonly #kind: string;
  readonly #spawnWorker: SpawnWorker;
  readonly #maxtasks: number;
  readonly #init: unknown[];

  readonly #workers: WorkerState[] = [];
  #workerCount = 0;
  #pending: Task[] = [];
  #pendingHead = 0;
  #dispatchScheduled = false;
  #queuedSinceDispatch = 0;
  #nextTaskId = 1;
  #inflight = 0;
  #openIterators = 0;
  #startupFailures = 0;
  #referenced = false;
  #broken: Error | undefined;
  /** Mean time a task takes in a worker (ms), per function and mode (a call and a map chunk differ). */
  readonly #taskMs = new Map<number, number>();

  readonly #fnIndex = new Map<object, number>();
  readonly #fnRefs: TaskRef[] = [];
  readonly #exitWaiters: Array<() => void> = [];
  readonly #id = ++poolCount;

  /** @internal */
  protected constructor(options: PoolOptions, boundary: Boundary, kind: string, spawnWorker: SpawnWorker) {
    const processes = options.processes ?? cpuCount();
    if (typeof processes !== "number") throw new TypeError(`${kind}: processes must be a number: got ${describe(processes)}`);
    if (!Number.isInteger(processes) || processes < 1) throw new RangeError(`${kind}: processes must be an integer of at least 1: got ${processes}`);
    const maxtasks = options.maxtasksperchild ?? Infinity;
    if (typeof maxtasks !== "number") throw new TypeError(`${kind}: maxtasksperchild must be a number or null: got ${describe(maxtasks)}`);
    if (maxtasks !== Infinity && (!Number.isInteger(maxtasks) || maxtasks < 1)) {
      throw new RangeError(`${kind}: maxtasksperchild must be a positive integer or null: got ${maxtasks}`);
    }
    const initializer = options.initializer === undefined ? null : toTaskRef(options.initializer, `${kind} initializer`);
    const initargs = options.initargs ?? [];
    if (!Array.isArray(initargs)) throw new TypeError(`${kind}: initargs must be an array`);
    this.processes = processes;
    this.#maxtasks = maxtasks;
    this.#boundary = boundary;
    this.#kind = kind;
    this.#spawnWorker = spawnWorker;
    this.#init = [INIT, "", initializer, encodePayload(initargs, boundary, `${kind} initargs`)];
    for (let i = 0; i < processes; i++) this.#spawn();
    this.#state = "RUN";
  }

  /** `INIT`, `RUN`, `CLOSE` or `TERMINATE`. */
  get state(): PoolState {
    return this.#state;
  }

  /** Process ids (Pool) or thread ids (ThreadPool) of the live workers. */
  get workerIds(): number[] {
    return this.#workers.map((w) => w.link.pid ?? w.link.threadId ?? -1);
  }

  // --- Submitting --------------------------------------------------------------------------------

  /** Calls `fn(...args)` in a worker; resolves its value (Python's `apply`). */
  apply<F extends TaskFunction>(fn: PoolTask<F>, args: Parameters<F>, options: TaskOptions = {}): Promise<Result<F>> {
    try {
      return this.applyAsync(fn, args, { signal: options.signal })[asPromise]();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls `fn(...args)` in a worker and returns at once with an `AsyncResult`.
   * @throws RangeError at once when the pool is closed or terminated; TypeError when `fn` or
   *   `args` cannot be sent.
   */
  applyAsync<F extends TaskFunction>(fn: PoolTask<F>, args: Parameters<F>, options?: ApplyOptions<Result<F>>): AsyncResult<Result<F>> {
    this.#checkRunning("submit task");
    const index = this.#functionIndex(fn, "applyAsync");
    if (!Array.isArray(args)) throw new TypeError(`${this.#kind}.applyAsync: args must be an array: got ${typeof args}`);
    const signal = checkSignal(options?.signal, `${this.#kind}.applyAsync`);
    const payload = encodePayload(args, this.#boundary, `${this.#kind}.applyAsync args`);
    const result = new AsyncResult<Result<F>>(options, "task");
    if (signal?.aborted) {
      result[abandon](signal.reason as Error);
      return result;
    }
    const task = this.#enqueue(index, CALL, payload, result, 0);
    if (signal !== undefined) cancelOnAbort(signal, result, [task]);
    return result;
  }

  /** Applies `fn` to every item, in chunks; resolves the values in order (Python's `map`). */
  map<F extends (item: never) => unknown>(fn: PoolTask<F>, iterable: Iterable<Parameters<F>[0]>, options: MapOptions = {}): Promise<Result<F>[]> {
    try {
      return this.#mapAsync<Result<F>>(fn, iterable, options, MAP, "map")[asPromise]();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `map` returning an `AsyncResult` at once. */
  mapAsync<F extends (item: never) => unknown>(fn: PoolTask<F>, iterable: Iterable<Parameters<F>[0]>, options: MapAsyncOptions<Result<F>> = {}): AsyncResult<Result<F>[]> {
    return this.#mapAsync(fn, iterable, options, MAP, "mapAsync");
  }

  /** Like `map`, each item being the argument list: `fn(...item)` (Python's `starmap`). */
  starmap<F extends TaskFunction>(fn: PoolTask<F>, iterable: Iterable<Parameters<F>>, options: MapOptions = {}): Promise<Result<F>[]> {
    try {
      return this.#mapAsync<Result<F>>(fn, iterable, options, STARMAP, "starmap")[asPromise]();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `starmap` returning an `AsyncResult` at once. */
  starmapAsync<F extends TaskFunction>(fn: PoolTask<F>, iterable: Iterable<Parameters<F>>, options: MapAsyncOptions<Result<F>> = {}): AsyncResult<Result<F>[]> {
    return this.#mapAsync(fn, iterable, options, STARMAP, "starmapAsync");
  }

  /**
   * Applies `fn` to the items as they are read from `iterable` (sync or async), yielding the values
   * in order. `next({ timeout })` rejects `TimeoutError`; leaving the loop early stops feeding.
   */
  imap<F extends (item: never) => unknown>(fn: PoolTask<F>, iterable: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>, options: IMapOptions = {}): PoolIterator<Result<F>> {
    return this.#imap(fn, iterable, options, true, "imap");
  }

  /** Like `imap`, yielding values as they complete. */
  imapUnordered<F extends (item: never) => unknown>(fn: PoolTask<F>, iterable: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>, options: IMapOptions = {}): PoolIterator<Result<F>> {
    return this.#imap(fn, iterable, options, false, "imapUnordered");
  }

  #mapAsync<R>(fn: PoolTask<TaskFunction>, iterable: Iterable<unknown>, options: MapAsyncOptions<R>, mode: Mode, method: string): MapResult<R> {
    this.#checkRunning("submit task");
    const index = this.#functionIndex(fn, method);
    const where = `${this.#kind}.${method}`;
    const { items, chunksize } = mapItems(iterable, options.chunksize, this.processes, where, mode === STARMAP);
    const signal = checkSignal(options.signal, where);
    const chunks = Math.ceil(items.length / chunksize);
    const payloads: unknown[] = [];
    for (let c = 0; c < chunks; c++) {
      const chunk = chunks === 1 && items.length === chunksize ? items : items.slice(c * chunksize, (c + 1) * chunksize);
      payloads.push(encodePayload(chunk, this.#boundary, `${where} items`));
    }
    const result = new MapResult<R>(items.length, chunks, options, method);
    if (signal?.aborted) {
      result[abandon](signal.reason as Error);
      return result;
    }
    const tasks: Task[] = [];
    for (let c = 0; c < chunks; c++) tasks.push(this.#enqueue(index, mode, payloads[c], result, c));
    if (signal !== undefined) cancelOnAbort(signal, result, tasks);
    return result;
  }

  #imap<R>(fn: PoolTask<TaskFunction>, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: IMapOptions, ordered: boolean, method: string): PoolIterator<R> {
    this.#checkRunning("submit task");
    const index = this.#functionIndex(fn, method);
    const where = `${this.#kind}.${method}`;
    return startIterator<R>(iterable, options, ordered, method, where, this.processes, {
      submit: (chunk, sink, chunkIndex) => {
        if (this.#state === "TERMINATE") throw this.#terminatedError();
        return this.#enqueue(index, (options.chunksize ?? 1) === 1 ? CALL : MAP, encodePayload(chunk, this.#boundary, `${where} items`), sink, chunkIndex);
      },
      opened: () => this.#openIterators++,
      closed: () => {
        this.#openIterators--;
        this.#maybeFinishClose();
      },
      iterators: this.#iterators,
    });
  }

  readonly #iterators = new Set<TaskSink>();

  #checkRunning(action: string): void {
    checkRunning(this.#state, action, this.#broken);
  }

  #functionIndex(fn: PoolTask<TaskFunction>, method: string): number {
    const key = fn as object;
    let index = this.#fnIndex.get(key);
    if (index !== undefined) return index;
    const ref = toTaskRef(fn, `${this.#kind}.${method} func`);
    index = this.#fnRefs.length;
    this.#fnRefs.push(ref);
    this.#fnIndex.set(key, index);
    const record = encodeMessage([DEFINE, index, ref], this.#boundary);
    for (const worker of this.#workers) worker.link.send(record);
    return index;
  }

  #enqueue(fn: number, mode: Mode, payload: unknown, sink: TaskSink, index: number): Task {
    const task: Task = { id: this.#nextTaskId++ >>> 0, fn, mode, payload, sink, index, cancelled: false };
    this.#pending.push(task);
    // A long burst of submissions (100,000 applyAsync in a loop) feeds the workers as it goes,
    // instead of leaving them idle until the loop ends.
    if (++this.#queuedSinceDispatch >= EAGER_DISPATCH) this.#dispatch();
    else this.#scheduleDispatch();
    return task;
  }

  // --- Dispatching -------------------------------------------------------------------------------

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(this.#dispatchNow);
  }

  readonly #dispatchNow = (): void => {
    this.#dispatchScheduled = false;
    this.#dispatch();
  };

  #window(task: Task): number {
    const ms = this.#taskMs.get(task.fn * 3 + task.mode);
    if (ms === undefined) return 1;
    // Tasks of a few milliseconds get one more queued behind the running one, so the worker never
    // waits for the round trip; slow tasks go one at a time, as Python hands them out.
    const floor = ms < PREFETCH_MS ? 2 : 1;
    return Math.max(floor, Math.min(MAX_WINDOW, Math.floor(WINDOW_MS / Math.max(ms, 1e-4))));
  }

  #dispatch(): void {
    this.#queuedSinceDispatch = 0;
    if (this.#state === "TERMINATE") return;
    for (const worker of this.#workers) {
      if (this.#pendingHead >= this.#pending.length) break;
      if (!worker.ready || worker.stopping) continue;
      const window = this.#window(this.#pending[this.#pendingHead]!);
      const load = worker.load;
      // Refill at half the window, so batches stay large and the worker never runs dry.
      if (load > window >> 1) continue;
      let room = Math.min(window - load, worker.quota);
      if (room <= 0) continue;
      let batch: Task[] = [];
      let sent = 0;
      while (room > 0 && this.#pendingHead < this.#pending.length) {
        const task = this.#pending[this.#pendingHead]!;
        this.#pending[this.#pendingHead++] = undefined as unknown as Task;
        if (task.cancelled) continue;
        worker.push(task);
        room--;
        sent++;
        if (task.mode === CALL) {
          batch.push(task);
          continue;
        }
        // A chunk goes alone: the worker can start on it while the next one is still on its way.
        if (batch.length > 0) worker.link.send(encodeTasks(batch, this.#boundary));
        worker.link.send(encodeTasks([task], this.#boundary));
        batch = [];
      }
      if (sent === 0) continue;
      if (batch.length > 0) worker.link.send(encodeTasks(batch, this.#boundary));
      this.#inflight += sent;
      worker.quota -= sent;
      if (worker.quota === 0) this.#retire(worker);
    }
    if (this.#pendingHead >= this.#pending.length) {
      this.#pending = [];
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 4096 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    this.#updateRef();
    // Only cancelled tasks were left (an imap left with break): the last result came in while
    // they still counted as work, so nothing else would tell a closed pool's workers to stop.
    if (this.#inflight === 0) this.#maybeFinishClose();
  }

  /** The worker has all the tasks it may run: it stops after them and a fresh one takes its place. */
  #retire(worker: WorkerState): void {
    worker.stopping = true;
    worker.link.send(encodeMessage([STOP], this.#boundary));
    if (this.#state === "RUN" || this.#hasWork()) this.#spawn();
  }

  #spawn(): void {
    const worker = new WorkerState(`${this.#kind === "ThreadPool" ? "ThreadPoolWorker" : "PoolWorker"}-${this.#id}:${++this.#workerCount}`, this.#maxtasks);
    this.#workers.push(worker);
    const init = this.#init.slice();
    init[1] = worker.name;
    worker.link = this.#spawnWorker(worker.name, {
      record: (bytes, cloned) => this.#onRecord(worker, bytes, cloned),
      exit: (exit) => this.#onExit(worker, exit),
    });
    worker.link.send(encodeMessage(init, this.#boundary));
    for (let i = 0; i < this.#fnRefs.length; i++) worker.link.send(encodeMessage([DEFINE, i, this.#fnRefs[i]], this.#boundary));
    if (this.#referenced) worker.link.ref();
    else worker.link.unref();
  }

  // --- Results -----------------------------------------------------------------------------------

  #onRecord(worker: WorkerState, bytes: Uint8Array, cloned: unknown): void {
    const kind = bytes[0]!;
    if (kind === READY) {
      worker.ready = true;
      this.#startupFailures = 0;
      this.#scheduleDispatch();
      return;
    }
    if (kind === INIT_ERROR) {
      const cause = rebuildError(bytes.subarray(HEADER_BYTES));
      this.#break(new ProcessError(`Cannot run tasks: the pool's initializer failed in ${worker.name}: ${cause.message}`, { cause }));
      return;
    }
    const task = worker.shift();
    if (task === undefined) return; // after terminate(): nobody is waiting
    this.#inflight--;
    const ms = readFloat64(bytes, 8);
    const key = task.fn * 3 + task.mode;
    const mean = this.#taskMs.get(key);
    this.#taskMs.set(key, mean === undefined ? ms : mean * 0.8 + ms * 0.2);
    let ok = kind !== FAILED;
    let value: unknown;
    try {
      value = decodeValue(kind, bytes, this.#boundary, cloned);
    } catch (error) {
      ok = false;
      value = error;
    }
    if (!task.cancelled) task.sink[deliver](task.index, ok, value);
    if (this.#pendingHead < this.#pending.length) this.#scheduleDispatch();
    else if (this.#inflight === 0) {
      this.#updateRef();
      this.#maybeFinishClose();
    }
  }

  #onExit(worker: WorkerState, exit: WorkerExit): void {
    const at = this.#workers.indexOf(worker);
    if (at >= 0) this.#workers.splice(at, 1);
    const lost = worker.takeAll();
    this.#inflight -= lost.length;
    if (this.#state !== "TERMINATE") {
      if (lost.length > 0) {
        // The first unanswered task is the one it was running; the rest never started.
        const running = lost[0]!;
        if (!running.cancelled) running.sink[deliver](running.index, false, new WorkerLostError(worker.name, worker.link, exit));
        const rest = lost.slice(1);
        this.#pending = rest.concat(this.#pending.slice(this.#pendingHead));
        this.#pendingHead = 0;
      }
      if (!worker.ready && !worker.stopping) {
        if (++this.#startupFailures >= MAX_STARTUP_FAILURES) {
          this.#break(new WorkerLostError(worker.name, worker.link, exit));
          this.#notifyExit();
          return;
        }
      }
      const active = this.#workers.filter((w) => !w.stopping).length;
      if (active < this.processes && (this.#state === "RUN" || this.#hasWork())) this.#spawn();
      this.#scheduleDispatch();
      this.#maybeFinishClose();
    }
    this.#updateRef();
    this.#notifyExit();
  }

  #hasWork(): boolean {
    return this.#pendingHead < this.#pending.length || this.#inflight > 0 || this.#openIterators > 0;
  }

  /** Keeps the process alive while there is work (an idle pool nobody closed must not). */
  #updateRef(): void {
    // Work to do, or workers on their way out that someone may be joining.
    const want = this.#state === "RUN" ? this.#hasWork() : this.#workers.length > 0;
    if (want === this.#referenced) return;
    this.#referenced = want;
    for (const worker of this.#workers) {
      if (want) worker.link.ref();
      else worker.link.unref();
    }
  }

  #maybeFinishClose(): void {
    if (this.#state !== "CLOSE" || this.#hasWork()) return;
    for (const worker of this.#workers) {
      if (worker.stopping) continue;
      worker.stopping = true;
      worker.link.send(encodeMessage([STOP], this.#boundary));
    }
    // Workers that never became ready cannot answer STOP in order; they stop after INIT anyway.
  }

  #notifyExit(): void {
    if (this.#workers.length > 0 || this.#state === "RUN") return;
    const waiters = this.#exitWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  #terminatedError(): Error {
    return this.#broken ?? new PoolTerminatedError("Cannot complete task: pool was terminated");
  }

  #break(error: Error): void {
    this.#broken = error;
    void this.terminate();
  }

  // --- Ending --------------------------------------------------------------------------------------

  /** No more tasks may be submitted; the workers exit once the queued ones are done. */
  close(): void {
    if (this.#state === "RUN" || this.#state === "INIT") {
      this.#state = "CLOSE";
      this.#maybeFinishClose();
      this.#updateRef();
    }
  }

  /**
   * Stops every worker at once: results not ready yet reject with `PoolTerminatedError` (Python
   * leaves them waiting forever). Resolves when no worker is left alive.
   */
  terminate(): Promise<void> {
    if (this.#state !== "TERMINATE") {
      this.#state = "TERMINATE";
      const error = this.#terminatedError();
      const sinks = new Set<TaskSink>();
      for (let i = this.#pendingHead; i < this.#pending.length; i++) sinks.add(this.#pending[i]!.sink);
      this.#pending = [];
      this.#pendingHead = 0;
      for (const worker of this.#workers) {
        for (const task of worker.takeAll()) sinks.add(task.sink);
        worker.link.kill();
      }
      this.#inflight = 0;
      for (const iterator of this.#iterators) sinks.add(iterator);
      for (const sink of sinks) sink[abandon](error);
      this.#updateRef();
    }
    return this.#allExited();
  }

  /**
   * Waits for every worker to exit. Call `close()` (or `terminate()`) first.
   * @throws RangeError when the pool is still running (as Python's `join`).
   */
  join(): Promise<void> {
    if (this.#state === "RUN" || this.#state === "INIT") return Promise.reject(new RangeError("Cannot join pool: pool is still running"));
    for (const iterator of this.#iterators) iterator[drain]?.();
    return this.#allExited();
  }

  #allExited(): Promise<void> {
    if (this.#workers.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  /** `await using pool = new Pool()`: **terminates** the pool, as Python's `with Pool()` does. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  /** @internal For the worker links. */
  protected get links(): readonly WorkerLink[] {
    return this.#workers.map((w) => w.link);
  }
}
