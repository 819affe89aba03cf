/**
 * Thread: Python's `threading.Thread`.
 *
 * By default the target runs on the event loop of the thread that starts it, sharing its variables
 * and switching at `await`, as Python's threads do under the GIL. `worker: true` runs it on a
 * `worker_threads` thread of its own, truly in parallel: the target must then be an exported module
 * function or a self-contained function (see internal/task.ts), and the arguments cross by
 * structured clone, shoal's primitives inside them arriving as the same primitives.
 *
 * An exception escaping the target goes to `excepthook` ("Exception in thread NAME:" + stack on
 * stderr) and never takes the process down.
 */
import { isMainThread, threadId } from "node:worker_threads";
import { checkOptions, checkSignal, checkTimeout, type WaitOptions } from "../internal/options.js";
import { encodeForTransfer } from "../internal/codec.js";
import { toTaskRef, loadTask, type TaskFunction, type TaskRef, isTaskRef } from "../internal/task.js";
import { currentIdentity, newIdent, setFallbackThread, threadStorage } from "./current.js";
import { ThreadError } from "./errors.js";
import { excepthook, exceptArgs } from "./excepthook.js";
import { holdAlive, releaseAlive } from "./shared.js";
import { startWorker } from "../internal/start-worker.js";
import { stackLimits } from "./stack-size.js";
import { seedsForWorker, type WorkerSeeds } from "../internal/worker-seeds.js";

/** Options of a Thread. */
export interface ThreadOptions<A extends unknown[] = never[]> {
  /** What the thread runs (by default `run()` calls it with `args`). */
  target?: ((...args: A) => unknown) | TaskRef<(...args: A) => unknown> | undefined;
  /** The target's arguments. */
  args?: A | undefined;
  /** The name; `"Thread-N (target)"` by default. */
  name?: string | undefined;
  /** A daemon thread does not keep the process alive. Inherited from the current thread by default. */
  daemon?: boolean | undefined;
  /** Run on a worker_threads thread of its own (in parallel) instead of this event loop. */
  worker?: boolean | undefined;
}

/** What a worker thread receives to start (see worker-main.ts). */
export interface WorkerStart {
  readonly ref: TaskRef;
  readonly args: unknown;
  readonly name: string;
  readonly ident: number;
  readonly daemon: boolean;
  /** What modules above threading hand the worker before its target runs. */
  readonly seeds?: WorkerSeeds | undefined;
}

let counter = 0;
const alive = new Set<Thread>();
let creatingSpecial: { name: string; ident: number; daemon: boolean; nativeId: number | null } | undefined;

const WORKER_MAIN = new URL("./worker-main.js", import.meta.url);

/** A thread of control: event-loop (default) or a worker thread (`worker: true`). */
export class Thread<A extends unknown[] = never[]> {
  #target: TaskFunction | TaskRef | undefined;
  #args: unknown[];
  #name: string;
  #daemon: boolean;
  readonly #worker: boolean;
  #ident: number | null = null;
  #nativeId: number | null = null;
  #started = false;
  #alive = false;
  #finished: Promise<void>;
  #finish!: () => void;

  constructor(options: ThreadOptions<A> = {}) {
    this.#finished = new Promise<void>((resolve) => (this.#finish = resolve));
    if (creatingSpecial !== undefined) {
      // The main thread, or a worker thread's own Thread object inside that worker.
      const special = creatingSpecial;
      creatingSpecial = undefined;
      this.#target = undefined;
      this.#args = [];
      this.#name = special.name;
      this.#daemon = special.daemon;
      this.#worker = false;
      this.#ident = special.ident;
      this.#nativeId = special.nativeId;
      this.#started = true;
      this.#alive = true;
      return;
    }
    if (typeof options !== "object" || options === null) throw new TypeError("Thread: options must be an object { target, args, name, daemon, worker }");
    const { target, args, name, daemon, worker } = options as ThreadOptions<unknown[]>;
    if (target !== undefined && typeof target !== "function" && !isTaskRef(target)) {
      throw new TypeError(`Thread: target must be a function or a task reference: got ${typeof target}`);
    }
    if (args !== undefined && !Array.isArray(args)) throw new TypeError("Thread: args must be an array");
    if (name !== undefined && typeof name !== "string") throw new TypeError("Thread: name must be a string");
    this.#target = target as TaskFunction | TaskRef | undefined;
    this.#args = args ?? [];
    this.#worker = worker === true;
    if (this.#worker && target !== undefined) toTaskRef(target as TaskFunction, "Thread target"); // fails now, with why
    const targetName = typeof target === "function" ? target.name : target?.name;
    // As Python: only unnamed threads take a number.
    this.#name = name ?? (targetName ? `Thread-${++counter} (${targetName})` : `Thread-${++counter}`);
    this.#daemon = daemon ?? currentIdentity().daemon;
  }

  /** @internal Makes the Thread object of the main thread or of a worker thread itself. */
  static _special(spec: { name: string; ident: number; daemon: boolean; nativeId: number | null }): Thread {
    creatingSpecial = spec;
    return new Thread();
  }

  /** The thread's name (settable). */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    if (typeof value !== "string") throw new TypeError("Thread.name must be a string");
    this.#name = value;
  }

  /** A number unique in the process (across worker threads too), assigned at start; null before. */
  get ident(): number | null {
    return this.#ident;
  }

  /** The worker's `threadId` for a worker thread; null for an event-loop thread and before start. */
  get nativeId(): number | null {
    return this.#nativeId;
  }

  /** Whether this is a daemon thread. Settable only before start. */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    if (this.#started) throw new ThreadError("Cannot set daemon status of active thread");
    this.#daemon = Boolean(value);
  }

  /** Whether the thread runs on a worker thread of its own. */
  get worker(): boolean {
    return this.#worker;
  }

  /** Whether `run()` has begun and not yet settled. */
  isAlive(): boolean {
    return this.#alive;
  }

  /**
   * Starts the thread. An event-loop thread runs `run()` at once, up to its first `await`.
   * @throws ThreadError when started twice; TypeError when worker arguments cannot cross.
   */
  start(): void {
    if (this.#started) throw new ThreadError("threads can only be started once");
    if (this.#worker) {
      this.#startWorker();
      return;
    }
    this.#started = true;
    this.#ident = newIdent();
    this.#alive = true;
    alive.add(this);
    threadStorage.run(this, () => {
      let result: unknown;
      try {
        result = this.run();
      } catch (error) {
        this.#end(error, true);
        return;
      }
      if (result instanceof Promise) {
        result.then(
          () => this.#end(undefined, false),
          (error: unknown) => this.#end(error, true),
        );
      } else this.#end(undefined, false);
    });
  }

  /** What the thread does: calls the target with the args. Override it in a subclass. */
  run(): unknown {
    const target = this.#target;
    if (target === undefined) return undefined;
    if (typeof target === "function") return (target as (...args: unknown[]) => unknown)(...this.#args);
    return loadTask(target as TaskRef).then((fn) => (fn as (...args: unknown[]) => unknown)(...this.#args));
  }

  #end(error: unknown, failed: boolean): void {
    if (failed) excepthook(exceptArgs(error, this));
    this.#alive = false;
    alive.delete(this);
    this.#target = undefined;
    this.#args = [];
    this.#finish();
  }

  #startWorker(): void {
    if (this.run !== Thread.prototype.run) {
      throw new ThreadError("Thread.start: a subclass overriding run() runs on the event loop; for a worker thread pass { target, worker: true }");
    }
    if (this.#target === undefined) throw new ThreadError("Thread.start: a worker thread needs a target");
    const ref = toTaskRef(this.#target as TaskFunction, "Thread target");
    const args = encodeForTransfer(this.#args, "thread", "Thread args");
    this.#started = true;
    this.#ident = newIdent();
    const seeds = seedsForWorker();
    const start: WorkerStart = { ref, args, name: this.#name, ident: this.#ident, daemon: this.#daemon, seeds: seeds.seeds };
    const worker = startWorker(WORKER_MAIN, { workerData: start, name: this.#name, transferList: seeds.transfer, resourceLimits: stackLimits() });
    this.#nativeId = worker.threadId;
    this.#alive = true;
    alive.add(this);
    let reported = false;
    worker.on("message", (message: { type?: string; error?: unknown }) => {
      if (message?.type === "error") {
        reported = true;
        excepthook(exceptArgs(message.error, this));
      }
    });
    worker.on("error", (error) => {
      if (!reported) excepthook(exceptArgs(error, this));
      reported = true;
    });
    // After the listeners: attaching a "message" listener refs the worker's port again.
    if (this.#daemon) worker.unref();
    worker.on("exit", () => {
      seeds.forget();
      this.#alive = false;
      alive.delete(this);
      this.#target = undefined;
      this.#args = [];
      this.#finish();
    });
  }

  /**
   * Waits until the thread ends, or the timeout passes (then check `isAlive()`).
   * @throws ThreadError (as a rejection) when the thread was not started or is the current thread.
   */
  async join(options?: WaitOptions): Promise<void> {
    checkOptions(options, "Thread.join");
    const timeout = checkTimeout(options?.timeout, "Thread.join: timeout");
    const signal = checkSignal(options?.signal, "Thread.join: signal");
    if (!this.#started) throw new ThreadError("Cannot join thread before it is started");
    if (this === currentThread()) throw new ThreadError("Cannot join current thread");
    if (!this.#alive) return;
    // A daemon thread does not keep the process alive, but waiting for one does (Python's join
    // blocks until the thread ends, daemon or not): nothing else may be pending meanwhile.
    const keepAlive = !currentIdentity().daemon;
    if (keepAlive) holdAlive();
    try {
      if (timeout === undefined && signal === undefined) return await this.#finished;
      await this.#joinWithin(timeout, signal);
    } finally {
      if (keepAlive) releaseAlive();
    }
  }

  #joinWithin(timeout: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = timeout === undefined || timeout === Infinity ? undefined : setTimeout(done, timeout);
      const onAbort = (): void => {
        cleanup();
        reject(signal!.reason);
      };
      function cleanup(): void {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      }
      function done(): void {
        cleanup();
        resolve();
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      void this.#finished.then(done);
    });
  }

  toString(): string {
    const status = this.#alive ? "started" : this.#started ? "stopped" : "initial";
    return `<${this.constructor.name}(${this.#name}, ${status}${this.#daemon ? " daemon" : ""} ${this.#ident ?? ""})>`;
  }
}

// --- The thread this code runs on -------------------------------------------------------------

// The process's main thread has ident 1 (the first ident of threadId 0); inside a worker this is
// a stand-in carrying that name and ident. A worker that is not a shoal Thread (a WorkerProcess, a
// pool worker, a plain Worker) gets an ident of its own: with the main thread's, an RLock would take
// all of them for one owner and let them in together.
const main: Thread = Thread._special({ name: "MainThread", ident: isMainThread ? newIdent() : 1, daemon: false, nativeId: process.pid });
let self: Thread = isMainThread ? main : Thread._special({ name: `Worker-${threadId}`, ident: newIdent(), daemon: false, nativeId: threadId });
setFallbackThread(self);

/** @internal For worker-main.ts: makes the Thread object of this worker thread itself. */
export function _becomeWorkerThread(spec: { name: string; ident: number; daemon: boolean; nativeId: number }): Thread {
  self = Thread._special(spec);
  setFallbackThread(self);
  return self;
}

/** The Thread running now: the event-loop Thread whose code this is, or the thread it runs on. */
export function currentThread(): Thread {
  const store = threadStorage.getStore();
  return store instanceof Thread ? store : self;
}

/** The process's main thread (inside a worker: a stand-in with its name and ident). */
export function mainThread(): Thread {
  return main;
}

/** How many threads are alive: the started, unfinished Threads of this thread, plus this thread. */
export function activeCount(): number {
  return alive.size + 1;
}

/** The alive Threads known here: this thread (main or worker) and the Threads started from it. */
export function enumerate(): Thread[] {
  return [self, ...alive];
}

/** `currentThread().ident`. */
export function getIdent(): number {
  return currentThread().ident ?? 0;
}

/** The OS-level id: a worker's `threadId`, or the process id on the main thread. */
export function getNativeId(): number {
  return currentThread().nativeId ?? self.nativeId ?? process.pid;
}
