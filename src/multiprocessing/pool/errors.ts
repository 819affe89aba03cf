/**
 * What a pool's results reject with, besides the task's own errors.
 */
import { ProcessError } from "../errors.js";

/**
 * The stack trace of an error raised in a pool worker, attached as `cause` of the error the result
 * rejects with (Python's `multiprocessing.pool.RemoteTraceback`, set by `rebuild_exc`).
 */
export class RemoteTraceback extends Error {
  override name = "RemoteTraceback";
  constructor(remoteStack: string) {
    super(remoteStack);
    // The remote stack is the message; a local stack would only point into the pool's machinery.
    this.stack = `RemoteTraceback: ${remoteStack}`;
  }
}

/** How a worker ended, as far as the pool could tell. */
export interface WorkerExit {
  /** Exit code, or null when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process (`"SIGKILL"`), or null. */
  readonly signal: NodeJS.Signals | null;
  /** The error a worker thread died of (an uncaught exception, running out of memory), if any. */
  readonly error?: Error | undefined;
  /** The last lines the worker process wrote to stderr (Pool), `""` when none. */
  readonly stderr?: string | undefined;
}

/** Says how a worker ended, for messages: `exited with code 3`, `was killed by SIGKILL`. */
export function describeExit(exit: WorkerExit): string {
  const error = exit.error as (Error & { code?: string }) | undefined;
  if (error?.code === "ERR_WORKER_OUT_OF_MEMORY") return "ran out of memory (ERR_WORKER_OUT_OF_MEMORY)";
  if (error !== undefined) return `died of an uncaught ${error.name}: ${error.message}`;
  if (exit.signal === "SIGABRT") return "was killed by SIGABRT (V8 aborts a process that runs out of memory)";
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.exitCode}`;
}

/**
 * A worker died while running the task: the task's result rejects with this, the pool replaces the
 * worker, and every other task goes on. (Python's Pool waits forever here.)
 */
export class WorkerLostError extends ProcessError {
  override name = "WorkerLostError";
  /** The worker's name, e.g. `"PoolWorker-3"`. */
  readonly worker: string;
  /** Its process id (Pool) or undefined (ThreadPool). */
  readonly pid: number | undefined;
  /** Its thread id (ThreadPool) or undefined (Pool). */
  readonly threadId: number | undefined;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines the worker process wrote to stderr before it died (Pool), `""` when none. */
  readonly stderr: string;
  constructor(worker: string, where: { pid?: number | undefined; threadId?: number | undefined }, exit: WorkerExit) {
    const at = where.pid !== undefined ? ` (pid ${where.pid})` : where.threadId !== undefined ? ` (thread ${where.threadId})` : "";
    const said = exit.stderr ? `; its stderr ended with:\n${exit.stderr.replace(/^/gm, "  ")}` : "";
    super(`Cannot complete task: worker ${worker}${at} ${describeExit(exit)} while running it${said}`, exit.error ? { cause: exit.error } : undefined);
    this.stderr = exit.stderr ?? "";
    this.worker = worker;
    this.pid = where.pid;
    this.threadId = where.threadId;
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
  }
}

/**
 * A task's result could not be sent back (it holds a function, a class instance, a symbol…): the
 * task ran, its value is lost (Python's `multiprocessing.pool.MaybeEncodingError`).
 */
export class MaybeEncodingError extends ProcessError {
  override name = "MaybeEncodingError";
}

/** The pool was terminated (or broke) before the task finished. */
export class PoolTerminatedError extends ProcessError {
  override name = "PoolTerminatedError";
}
