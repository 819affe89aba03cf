/**
 * `WorkerProcess`: the `Process` of the "worker" start method (`getContext("worker")`): the target
 * runs on a `worker_threads` thread of this process instead of in a new OS process.
 *
 * It starts in a few milliseconds instead of a Node boot, and shoal's thread primitives (the locks,
 * `Queue`s and `Event`s of `shoal/threading` and `shoal/queue`, which the worker context hands
 * out) are shared memory between it and its parent. The price: no separate address space or pid
 * (`pid` is this process's), and a crash that takes the process down takes them all.
 *
 * The API is `Process`'s: `start`, `join`, `isAlive`, `terminate`, `kill`, `close`, `exitcode`,
 * `name`, `daemon`, `sentinel`. Exit codes follow Python's: 0 when the target returns, 1 when it
 * throws (the error is printed under "Process NAME:"), the code given to `process.exit(code)`,
 * and -15 / -9 after `terminate()` / `kill()` (a thread cannot be signalled: it is stopped, and
 * reported as the signal Python would show).
 */
import type { Worker } from "node:worker_threads";
import { constants } from "node:os";
import { encodeForTransfer } from "../internal/codec.js";
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { within } from "../internal/within.js";
import { toTaskRef, type TaskFunction, type TaskRef } from "../internal/task.js";
import { ProcessError } from "./errors.js";
import { startWorker } from "../internal/start-worker.js";
import { checkProcessOptions, nextChildIdentity, selfIdentity } from "./process.js";
import type { WorkerProcessStart } from "./worker-process-main.js";
import { seedForChild } from "./shared-memory-registry.js";

const MAIN = new URL("./worker-process-main.js", import.meta.url);

/** Options of `new WorkerProcess` (those of `Process` that mean something for a thread). */
export interface WorkerProcessOptions<F extends TaskFunction = TaskFunction> {
  /** What to run: an exported module function, a self-contained function, or `task(url, name)`. */
  target?: F | TaskRef<F> | undefined;
  /** The target's arguments (structured-cloneable; shoal's thread primitives arrive shared). */
  args?: Parameters<F> | readonly unknown[] | undefined;
  /** Default `Process-N`, from the same counter as `Process`. */
  name?: string | undefined;
  /** A daemon does not keep this process alive (it is stopped when the process exits). */
  daemon?: boolean | undefined;
}

type State = "initial" | "started" | "closed";

/** A `Process` whose target runs on a worker thread of this process. */
export class WorkerProcess {
  #name: string;
  #daemon: boolean;
  readonly #identity: number[];
  #target: TaskFunction | TaskRef | undefined;
  #args: readonly unknown[];
  #state: State = "initial";
  #worker: Worker | null = null;
  #exitcode: number | null = null;
  #stoppedBy: number | null = null;
  #sentinel: Promise<void> | undefined;
  #settle: (() => void) | undefined;

  constructor(options: WorkerProcessOptions = {}) {
    checkProcessOptions(options, "WorkerProcess");
    const { target, args = [], name, daemon } = options;
    this.#target = target;
    this.#args = args;
    this.#identity = nextChildIdentity();
    // As the spawn context's Process and Python's: an instance of a subclass is named after it.
    const kind = new.target === WorkerProcess ? "Process" : new.target.name || "Process";
    this.#name = name ?? `${kind}-${this.#identity.join(":")}`;
    this.#daemon = daemon ?? selfIdentity().daemon;
  }

  /**
   * Starts the worker. Throws `TypeError` at once when the target or an argument cannot be sent to
   * a thread (naming it), and `ProcessError` on a second start.
   */
  start(): void {
    if (this.#state === "closed") throw new RangeError(`Cannot start ${this.#name}: process object is closed`);
    if (this.#state !== "initial") throw new ProcessError(`Cannot start ${this.#name}: a process can only be started once`);
    if (selfIdentity().daemon) throw new ProcessError(`Cannot start ${this.#name}: daemonic processes are not allowed to have children`);
    if (this.#target === undefined) throw new ProcessError(`Cannot start ${this.#name}: a worker process needs a target`);
    const ref = toTaskRef(this.#target as TaskFunction, `${this.#name} target`);
    const args = encodeForTransfer(this.#args, "thread", `${this.#name} args`);
    const me = selfIdentity();
    const start: WorkerProcessStart = {
      ref,
      args,
      identity: { name: this.#name, authkey: me.authkey, daemon: this.#daemon, identity: this.#identity, parent: { pid: process.pid, name: me.name } },
    };
    const registry = seedForChild();
    start.sharedMemory = registry.seed;
    const worker = startWorker(MAIN, { workerData: start, transferList: registry.transfer, name: this.#name });
    this.#worker = worker;
    this.#state = "started";
    this.#sentinel ??= new Promise<void>((resolve) => (this.#settle = resolve));
    // What the target threw, printed as Python prints a child's traceback; and an error the entry
    // could not report itself (it failed to load), the same way.
    worker.on("message", (message: { type?: string; report?: string }) => {
      if (message?.type === "error") process.stderr.write(`Process ${this.#name}:\n${message.report}\n`);
    });
    worker.on("error", (error) => {
      process.stderr.write(`Process ${this.#name}:\n${(error as Error)?.stack ?? String(error)}\n`);
    });
    worker.on("exit", (code) => {
      registry.forget();
      this.#exitcode = this.#stoppedBy ?? code;
      this.#worker = null;
      this.#target = undefined;
      this.#args = [];
      this.#settle?.();
    });
    if (this.#daemon) worker.unref();
  }

  /** Waits until the worker ends, or `timeout` milliseconds (then check `exitcode`, as in Python). */
  async join(options: WaitOptions = {}): Promise<void> {
    checkOptions(options, "WorkerProcess.join");
    const timeout = checkTimeout(options.timeout, "WorkerProcess.join: timeout");
    const signal = checkSignal(options.signal, "WorkerProcess.join: signal");
    if (this.#state === "initial") throw new ProcessError(`Cannot join ${this.#name}: it has not been started`);
    if (this.#state === "closed") throw new RangeError(`Cannot join ${this.#name}: process object is closed`);
    if (this.#exitcode !== null) return;
    const sentinel = this.sentinel;
    await within(sentinel, timeout, signal);
  }

  /** Whether the worker has started and not ended. */
  isAlive(): boolean {
    this.#checkOpen("isAlive()");
    return this.#state === "started" && this.#exitcode === null;
  }

  /** Stops the worker; `exitcode` becomes -15, as after SIGTERM. */
  terminate(): void {
    this.#stop(constants.signals.SIGTERM);
  }

  /** Stops the worker; `exitcode` becomes -9, as after SIGKILL. */
  kill(): void {
    this.#stop(constants.signals.SIGKILL);
  }

  #stop(signal: number): void {
    if (this.#state === "closed") throw new RangeError(`Cannot stop ${this.#name}: process object is closed`);
    if (this.#worker === null || this.#exitcode !== null) return;
    this.#stoppedBy ??= -signal;
    void this.#worker.terminate();
  }

  #checkOpen(what: string): void {
    if (this.#state === "closed") throw new RangeError(`Cannot read ${what} of ${this.#name}: process object is closed`);
  }

  /** Releases the object. Throws `RangeError` while the worker runs; afterwards, as `Process`. */
  close(): void {
    if (this.#state === "closed") return;
    if (this.#state === "started" && this.#exitcode === null) {
      throw new RangeError(`Cannot close ${this.#name}: process is still running; join or terminate it first`);
    }
    this.#state = "closed";
  }

  /** `null` while running (or before start); the exit code; -15 / -9 after `terminate()` / `kill()`. */
  get exitcode(): number | null {
    this.#checkOpen("exitcode");
    return this.#exitcode;
  }

  /** This process's pid once started: a worker has none of its own. */
  get pid(): number | null {
    this.#checkOpen("pid");
    return this.#state === "initial" ? null : process.pid;
  }

  /** Python's `ident`: the pid. */
  get ident(): number | null {
    return this.pid;
  }

  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    if (typeof value !== "string") throw new TypeError(`WorkerProcess.name must be a string: got ${describe(value)}`);
    this.#name = value;
  }

  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    if (this.#state !== "initial") throw new ProcessError(`Cannot set daemon of ${this.#name}: process has already started`);
    this.#daemon = Boolean(value);
  }

  /** Settles when the worker ends (Python's `sentinel`, for `wait()`). */
  get sentinel(): Promise<void> {
    if (this.#state === "initial") throw new ProcessError(`Cannot get the sentinel of ${this.#name}: it has not been started`);
    this.#checkOpen("the sentinel");
    this.#sentinel ??= new Promise<void>((resolve) => (this.#settle = resolve));
    return this.#sentinel;
  }

  toString(): string {
    if (this.#state === "closed") return `<WorkerProcess name='${this.#name}' closed>`;
    const status = this.#state === "initial" ? "initial" : this.#exitcode === null ? "started" : `stopped exitcode=${this.#exitcode}`;
    return `<WorkerProcess name='${this.#name}' ${status}${this.#daemon ? " daemon" : ""}>`;
  }
}
