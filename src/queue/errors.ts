/**
 * The queue module's exceptions, with Python's names.
 *
 * `get` rejects with `Empty` and `put` with `Full` when their wait runs out (or at once with
 * `block: false`); both reject with `ShutDown` once the queue is shut down.
 */

/** `get` found no item: `getNowait()` on an empty queue, or a `get` whose timeout ran out. */
export class Empty extends Error {
  override name = "Empty";
  /** How long the caller waited, in milliseconds (0 for a non-blocking get). */
  readonly timeout: number;
  constructor(message = "Cannot get an item: the queue is empty", options?: { timeout?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.timeout = options?.timeout ?? 0;
  }
}

/** `put` found no free slot: `putNowait()` on a full queue, or a `put` whose timeout ran out. */
export class Full extends Error {
  override name = "Full";
  /** The queue's maxsize when the put gave up. */
  readonly maxsize: number;
  /** How long the caller waited, in milliseconds (0 for a non-blocking put). */
  readonly timeout: number;
  constructor(message = "Cannot put an item: the queue is full", options?: { maxsize?: number; timeout?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.maxsize = options?.maxsize ?? 0;
    this.timeout = options?.timeout ?? 0;
  }
}

/** The queue was shut down: no more puts, and no more gets once it is empty (at once if `immediate`). */
export class ShutDown extends Error {
  override name = "ShutDown";
  constructor(message = "Cannot use the queue: it is shut down") {
    super(message);
  }
}

/** The message of `Empty` for a get that waited `timeout` ms, or none. */
export function emptyError(timeout: number): Empty {
  return timeout > 0
    ? new Empty(`Cannot get an item: the queue stayed empty for ${timeout} ms`, { timeout })
    : new Empty("Cannot get an item: the queue is empty");
}

/** The message of `Full` for a put that waited `timeout` ms, or none. */
export function fullError(maxsize: number, timeout: number): Full {
  return timeout > 0
    ? new Full(`Cannot put an item: the queue stayed full (maxsize ${maxsize}) for ${timeout} ms`, { maxsize, timeout })
    : new Full(`Cannot put an item: the queue is full (maxsize ${maxsize})`, { maxsize });
}
