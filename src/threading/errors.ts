/** Errors of shoal/threading, with Python's names. */

/** A misuse of a threading primitive (Python's `RuntimeError` from `threading`). */
export class ThreadError extends Error {
  override name = "ThreadError";
}

/** A `Barrier` was broken (reset, aborted, timed out, or its action failed) while threads waited on it. */
export class BrokenBarrierError extends ThreadError {
  override name = "BrokenBarrierError";
  constructor(message = "Barrier is broken", options?: ErrorOptions) {
    super(message, options);
  }
}
