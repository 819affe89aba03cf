/**
 * The pool's side of one worker, whatever carries it (a worker thread and two rings, or a child
 * process and a socket). The pool core speaks only this interface.
 */
import type { WorkerExit } from "./errors.js";
import type { Outgoing } from "./wire.js";

/** What a link reports to the pool. */
export interface WorkerEvents {
  /**
   * One record from the worker, in the order written. The bytes are valid during the call only.
   * `cloned` is the value of an OK_CLONED record (thread workers: a value holding shared memory).
   */
  record(bytes: Uint8Array, cloned?: unknown): void;
  /** The worker is gone; every record it wrote has been delivered before this. */
  exit(exit: WorkerExit): void;
}

export interface WorkerLink {
  /** Process id of a process worker. */
  readonly pid: number | undefined;
  /** Thread id of a thread worker. */
  readonly threadId: number | undefined;
  /** Sends one message (from `encodeMessage`/`encodeTasks`). Never blocks. */
  send(record: Outgoing): void;
  /** Keeps the event loop alive while the pool has work for this worker. */
  ref(): void;
  /** Lets the process exit while this worker idles. */
  unref(): void;
  /** Ends the worker now (SIGTERM, then SIGKILL; or `Worker.terminate()`). */
  kill(): void;
}

/** Starts a worker and returns its link. */
export type SpawnWorker = (name: string, events: WorkerEvents) => WorkerLink;
