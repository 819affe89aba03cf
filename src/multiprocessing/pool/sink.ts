/**
 * Where a task's outcome goes: an AsyncResult, one chunk of a map, one chunk of an imap.
 * The symbols keep these hooks off the public names of the result classes.
 */

/** Called once per task with its outcome; `index` is the task's chunk number within its job. */
export const deliver: unique symbol = Symbol("shoal.pool.deliver");
/** Called when the job must end at once (terminate, a broken pool), whatever is left of it. */
export const abandon: unique symbol = Symbol("shoal.pool.abandon");
/** Called on an imap's iterator when its closed pool is joined: submit what is left of the input. */
export const drain: unique symbol = Symbol("shoal.pool.drain");

export interface TaskSink {
  [deliver](index: number, ok: boolean, value: unknown): void;
  [abandon](error: Error): void;
  [drain]?(): void;
}
