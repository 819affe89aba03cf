/**
 * Python's `parent_process()`: the process that started this one, seen from here. Its pid and name,
 * whether it is still alive, a `sentinel` that settles when it is gone, and `join({ timeout })`,
 * which waits for that. As in Python, its `exitcode` is unknown (null) from the child's side.
 *
 * A spawned child knows its parent is gone when their IPC channel closes (the parent holds its end
 * until it exits). A `WorkerProcess` runs in its parent's process, which is alive while it runs.
 */
import { checkOptions, checkSignal, checkTimeout, type WaitOptions } from "../internal/options.js";
import { within } from "../internal/within.js";
import { isProcessRunning } from "../internal/process-running.js";

/** Calls of `join()` waiting now (the IPC channel is referenced while there are any). */
let joiners = 0;

export class ParentProcess {
  readonly pid: number;
  readonly name: string;
  #sentinel: Promise<void> | undefined;

  /** @internal Made by `parentProcess()`. */
  constructor(pid: number, name: string) {
    this.pid = pid;
    this.name = name;
  }

  /** Whether the parent still runs. */
  isAlive(): boolean {
    if (this.pid === process.pid) return true;
    if (process.channel !== undefined || process.connected) return process.connected;
    // Started by other means than shoal's fork: ask the kernel.
    return isProcessRunning(this.pid);
  }

  /**
   * Settles when the parent is gone: when the IPC channel of a child shoal started closes. Never
   * for the parent of a `WorkerProcess`, nor for a process started by other means. Awaiting it does
   * not keep this process running (a child whose work is done must be able to end): `join()` does.
   */
  get sentinel(): Promise<void> {
    if (this.#sentinel === undefined) {
      if (this.pid === process.pid) this.#sentinel = new Promise<void>(() => undefined);
      else if (!this.isAlive()) this.#sentinel = Promise.resolve();
      else this.#sentinel = new Promise<void>((resolve) => process.once("disconnect", () => resolve()));
    }
    return this.#sentinel;
  }

  /** Waits for the parent to end, at most `timeout` ms (then returns anyway, as Python's join). */
  async join(options: WaitOptions = {}): Promise<void> {
    checkOptions(options, "ParentProcess.join");
    const timeout = checkTimeout(options.timeout, "ParentProcess.join: timeout");
    const signal = checkSignal(options.signal, "ParentProcess.join: signal");
    if (this.pid === process.pid && timeout === undefined) throw new RangeError("ParentProcess.join: the parent of a WorkerProcess is this very process: it would wait forever");
    // The channel is what tells: referenced while someone waits, so that the process waits too.
    const channel = process.channel;
    if (channel !== undefined && joiners++ === 0) channel.ref();
    try {
      await within(this.sentinel, timeout, signal);
    } finally {
      if (channel !== undefined && --joiners === 0) channel.unref();
    }
  }

  /** Unknown from here, as in Python. */
  get exitcode(): null {
    return null;
  }

  toString(): string {
    return `<ParentProcess name='${this.name}' pid=${this.pid} ${this.isAlive() ? "started" : "stopped"}>`;
  }
}
