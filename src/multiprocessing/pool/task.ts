/**
 * One unit of work as the pool queues it: a call, or one chunk of a map.
 */
import type { Mode } from "./wire.js";
import type { TaskSink } from "./sink.js";

export interface Task {
  readonly id: number;
  /** Index of the function in the pool's table (sent to workers once). */
  readonly fn: number;
  readonly mode: Mode;
  /** Arguments (CALL) or a chunk of items (MAP, STARMAP), encoded for the boundary. */
  readonly payload: unknown;
  readonly sink: TaskSink;
  /** Chunk number within its job. */
  readonly index: number;
  /** Set when its job no longer wants it (aborted, iterator closed): skipped if not sent yet. */
  cancelled: boolean;
}
