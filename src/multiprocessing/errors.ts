/**
 * The errors of `multiprocessing`, after CPython's `context.py` hierarchy: `ProcessError` is the
 * base of everything this layer throws on its own account.
 */

/** Base class of the multiprocessing errors (Python's `multiprocessing.ProcessError`). */
export class ProcessError extends Error {
  override name = "ProcessError";
}

/**
 * `recvBytesInto` was given a buffer too small for the message. `message` holds the whole message,
 * which has been consumed from the connection (as in Python).
 */
export class BufferTooShort extends ProcessError {
  override name = "BufferTooShort";
  readonly received: Buffer;
  constructor(received: Buffer, capacity: number) {
    super(`Cannot receive message of ${received.length} bytes: the buffer has room for ${capacity}`);
    this.received = received;
  }
}

/** The authkey handshake failed: the peer does not know the key, or spoke something else. */
export class AuthenticationError extends ProcessError {
  override name = "AuthenticationError";
}

/** A wait with a timeout ran out (`multiprocessing.TimeoutError`). */
export class TimeoutError extends ProcessError {
  override name = "TimeoutError";
}

/** An error raised in another process (the owner of a shared object), carried back to the caller. */
export class RemoteError extends ProcessError {
  override name = "RemoteError";
  /** The stack trace text from the other process. */
  readonly remoteStack: string;
  constructor(message: string, remoteStack: string, options?: ErrorOptions) {
    super(message, options);
    this.remoteStack = remoteStack;
  }
}

/**
 * The other end is gone: a connection closed (or broke) before a message arrived. Python's builtin
 * `EOFError`, which JavaScript lacks.
 */
export class EOFError extends Error {
  override name = "EOFError";
}

/** A frame broke the wire protocol: too large, cut short, or not what was expected. */
export class FrameError extends ProcessError {
  override name = "FrameError";
}
