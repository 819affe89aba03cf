/**
 * What a parent sends a child over the fork channel to start it (see `process.ts`, `bootstrap.ts`).
 * One `start` message, then one `{ handle: i }` message per socket carried by the arguments. The
 * child answers `RUNNING` once it is about to run its target (its boot is over).
 */
import type { TaskRef } from "../internal/task.js";
import type { Self } from "./process.js";

/** The child's one message to its parent: booted, about to run the target. */
export const RUNNING = "shoal:running";

/** A `Process` subclass overriding `run()`: an export of a module. */
export interface SubclassSpec {
  readonly module: string;
  readonly name: string;
}

export interface StartMessage {
  readonly kind: "start";
  /** The child's identity. */
  readonly self: Self;
  /** The function to run, unless `subclass` is given. */
  readonly target: TaskRef | undefined;
  readonly subclass: SubclassSpec | undefined;
  /** `v8.serialize({ args, fields })` with shoal objects encoded (codec, boundary "process"). */
  readonly payload: Uint8Array;
  /** How many `{ handle }` messages follow. */
  readonly sockets: number;
}
