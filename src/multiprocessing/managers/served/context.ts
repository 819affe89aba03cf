/**
 * What a served object knows about the call it is running: which client session made it, from
 * which of the client's threads, and a signal that aborts when the client cancels the call or
 * disconnects.
 *
 * Built-in served objects (locks, queues, …) mark themselves `contextual`: the server passes the
 * context as their methods' first argument. Objects of user-registered types get plain calls.
 */

/** One authenticated client connection, as the served objects see it. */
export interface Session {
  /** Server-wide number of the connection, for messages. */
  readonly id: number;
  /** Whether the connection has ended. */
  readonly dropped: boolean;
  /** Whether it ended because the server shuts down (no client died: nothing to report). */
  readonly stopping: boolean;
  /**
   * Registers `hook` to run when the connection ends (a lock releases what the client held).
   * Returns a function that unregisters it.
   */
  onDrop(hook: () => void): () => void;
}

/** The context of one call. */
export interface CallContext {
  readonly session: Session;
  /** The calling thread's ident in the client process (RLock ownership). */
  readonly thread: number;
  /** Aborts when the client cancels this call or disconnects. */
  readonly signal: AbortSignal;
}

/** A served object's facts for its proxies (`TokenData.hints`). */
export const kHints: unique symbol = Symbol("shoal.manager.hints");

/** Marks a served class whose methods take a `CallContext` first. */
export const kContextual: unique symbol = Symbol("shoal.manager.contextual");

/** An object whose methods take a `CallContext` first. */
export interface Contextual {
  readonly [kContextual]: true;
}

export function isContextual(value: unknown): value is Contextual {
  return typeof value === "object" && value !== null && (value as Partial<Contextual>)[kContextual] === true;
}

/** The call was abandoned by its client (cancelled, or the connection ended). */
export class CallCancelled extends Error {
  override name = "CallCancelled";
  constructor() {
    super("Cannot finish call: the client cancelled it");
  }
}

/** The owner key of a call: the session and the thread in it (RLock, Condition). */
export function ownerOf(ctx: CallContext): string {
  return `${ctx.session.id}:${ctx.thread}`;
}

/** Options of the waiting calls, as they arrive over the wire. */
export interface RemoteWait {
  block?: boolean | undefined;
  blocking?: boolean | undefined;
  timeout?: number | undefined;
}

/** Checks a waiting call's options that came from a client. */
export function waitOptions(options: unknown, where: string): { block: boolean; timeout: number | undefined } {
  if (options === undefined || options === null) return { block: true, timeout: undefined };
  if (typeof options !== "object") throw new TypeError(`${where}: options must be an object`);
  const { block, blocking, timeout } = options as RemoteWait;
  if (timeout !== undefined && (typeof timeout !== "number" || Number.isNaN(timeout))) {
    throw new TypeError(`${where}: timeout must be a number of milliseconds`);
  }
  if (timeout !== undefined && timeout < 0) throw new RangeError(`${where}: timeout must not be negative: got ${timeout}`);
  return { block: (block ?? blocking ?? true) !== false, timeout };
}
