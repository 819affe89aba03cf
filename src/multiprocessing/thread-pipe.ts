/**
 * The worker context's `Pipe` (`getContext("worker").Pipe()`): a pair of `ThreadConnection`s between
 * threads of this process, with the API of the spawn context's `Connection`, and blocking twins for
 * code running on a worker thread.
 *
 *   const [a, b] = ctx.Pipe();            // duplex; ctx.Pipe({ duplex: false }) gives [readOnly, writeOnly]
 *   a.send(value);                        // never waits: synchronous (see `send`)
 *   await b.recv({ timeout?, signal? });  // rejects EOFError once the other end has closed
 *   b.recvSync({ timeout? });             // the blocking twin, for worker threads
 *   a.sendBytes(buf, offset?, size?);     // a copy of the bytes, as one message
 *   await b.recvBytes({ maxlength? }); b.recvBytesSync({ maxlength?, timeout? });
 *   await b.recvBytesInto(buf, offset?); b.recvBytesIntoSync(buf, offset?, { timeout? });  // BufferTooShort
 *   await b.poll({ timeout? }); b.pollSync({ timeout? });   // true when recv would not wait
 *   a.close(); a.closed; a.readable; a.writable; using a = ...
 *
 * Built as CPython builds its higher primitives on lower ones: each direction is one `SimpleQueue` of
 * `shoal/queue`, so a message is whatever a thread queue carries (structured clone, with shoal's
 * primitives inside arriving as the same primitives), and an end crosses to a worker thread the way
 * the queues do, through the codec (`registerShareable`). While both ends stay in one thread the
 * queues are plain memory and a message is the very object sent, as with a thread queue; once an end
 * has gone to another thread, the queues live in shared memory and messages are copies.
 *
 * Closing an end puts an end marker into its outgoing queue: the peer receives the messages queued
 * before it, then `EOFError`. Each end's closed state is also one word of shared memory, so that a
 * send to an end that has closed fails at once (`EPIPE`, as writing to a pipe nobody reads), instead
 * of filling a queue nobody will read.
 *
 * Handing an end to another thread *moves* it, as the spawn context's `Pipe` moves a socket to a
 * child: the object left behind is closed (without telling the peer). That keeps one live object per
 * end, so "close" has one meaning, and Python's idiom of closing the parent's copy of the child's end
 * after `start()` is harmless here as it is with the spawn context.
 *
 * Python closes a connection when it is collected (`__del__`) and the OS closes a dead process's
 * pipes; here an end that is garbage collected, or that lives in a worker thread which ends (its
 * target returns or throws, or `process.exit`), is closed the same way, so its peer sees EOF instead
 * of waiting forever. A worker stopped by `terminate()` runs no code on its way out: its ends stay
 * open.
 */
import { isMainThread } from "node:worker_threads";
import { decodeFromTransfer, encodeForTransfer, registerShareable } from "../internal/codec.js";
import { checkOptions as checkOptionsObject, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { SimpleQueue } from "../queue/simple-queue.js";
import { Empty } from "../queue/errors.js";
import { BufferTooShort, EOFError, FrameError, ProcessError, TimeoutError } from "./errors.js";

/** Options of the worker context's `Pipe`. */
export interface ThreadPipeOptions {
  /** Both ends send and receive (default true). With false: `[readOnly, writeOnly]`, as Python's `Pipe(duplex=False)`. */
  duplex?: boolean | undefined;
}

/** Options of the blocking twins (`recvSync`, `pollSync`, ...): a wait that blocks the thread cannot watch a signal. */
export interface ThreadConnectionSyncOptions {
  /** Longest wait, in milliseconds; `undefined` waits forever (for `pollSync`, the default is 0). */
  timeout?: number | undefined;
}

/**
 * The key of the pipe's own items in the queues. A user's object that happens to have it as an own
 * property travels wrapped (`{ [TAG]: "value", value }`), so no message can pass for the end marker.
 */
const TAG = "__shoal_thread_pipe__";
const END = Object.freeze({ [TAG]: "end" });

/** The reason a pending wait is aborted with when its own end closes. */
const CLOSED_HERE: unique symbol = Symbol("ThreadConnection closed while waiting");

function isTagged(item: unknown): item is Record<string, unknown> {
  return typeof item === "object" && item !== null && Object.hasOwn(item, TAG);
}

function wrapMessage(value: unknown): unknown {
  return isTagged(value) ? { [TAG]: "value", value } : value;
}

/** What a closing end does to the pipe, kept apart from the end so that it can run once the end is collected. */
interface EndCloser {
  readonly outgoing: SimpleQueue<unknown> | null;
  /** One word per end: 1 once it has closed. Shared with the peer, in whatever thread it is. */
  readonly closedFlags: Int32Array;
  readonly side: 0 | 1;
}

function announceClose(closer: EndCloser): void {
  // Once per end: an explicit close, a collection and a thread's exit may each try.
  if (Atomics.compareExchange(closer.closedFlags, closer.side, 0, 1) !== 0) return;
  closer.outgoing?.put(END);
}

/** Ends that are collected without having been closed are closed then (Python's `Connection.__del__`). */
const closeWhenCollected = new FinalizationRegistry<EndCloser>((closer) => {
  try {
    announceClose(closer);
  } catch {
    // Nothing is left to report to: the end is gone.
  }
});

/** The open ends that live in this worker thread, closed when the thread ends. */
const openInThisThread = new Set<EndCloser>();
let closingAtExit = false;

function closeAllAtExit(): void {
  for (const closer of openInThisThread) {
    try {
      announceClose(closer);
    } catch {
      // The thread is ending: the other ends must still be closed.
    }
  }
  openInThisThread.clear();
}

/** The parts of an end. */
interface EndParts {
  readonly incoming: SimpleQueue<unknown> | null;
  readonly outgoing: SimpleQueue<unknown> | null;
  readonly closedFlags: Int32Array;
  readonly side: 0 | 1;
  readonly peerClosed: boolean;
  readonly broken: string | null;
}

/** What crosses to another thread for an end: `queues` is the codec's form of `[incoming, outgoing]`. */
interface ThreadConnectionWire {
  readonly queues: readonly [unknown, unknown];
  readonly closedFlags: Int32Array;
  readonly side: 0 | 1;
  readonly peerClosed: boolean;
  readonly broken: string | null;
}

let constructing: EndParts | undefined;

/** What a wait on the incoming queue came to. */
type Waited = { readonly item: unknown } | "timeout" | "closed";

/**
 * One end of the worker context's `Pipe`: Python's `Connection`, between threads of one process.
 * Make them with `getContext("worker").Pipe()` (or `threadPipe()`); hand one to a `WorkerProcess`,
 * a worker `Thread` or a `ThreadPool` task as an argument (it moves there), or send it inside a
 * message or a queue item.
 */
export class ThreadConnection implements Disposable, AsyncDisposable {
  readonly #incoming: SimpleQueue<unknown> | null;
  readonly #outgoing: SimpleQueue<unknown> | null;
  readonly #closer: EndCloser;
  /** A message taken from the queue but not yet received (by a `poll` that waited, or refused by `recvBytes`). */
  #held: { readonly value: unknown } | undefined;
  /** The end marker has been received: no message will come any more. */
  #peerClosed: boolean;
  /** Why this end cannot receive any more (a message over `maxlength`), as Python's unreadable connection. */
  #broken: FrameError | null;
  #closed = false;
  /** Where this end went (e.g. `"Process-1 args[0]"`), once it has been handed to another thread. */
  #movedTo: string | undefined;
  /** Where this end is going while the value it is in still encodes (see `_commitMove`). */
  #pendingMove: string | undefined;
  /** Aborted when this end closes: one per pending `recv`/`poll`. */
  readonly #waits = new Set<AbortController>();

  /** Not for use: ends come from `Pipe()` (`threadPipe`) or arrive from another thread. */
  constructor() {
    const parts = constructing;
    constructing = undefined;
    if (parts === undefined) throw new TypeError("ThreadConnection: make a pair with getContext(\"worker\").Pipe()");
    this.#incoming = parts.incoming;
    this.#outgoing = parts.outgoing;
    this.#peerClosed = parts.peerClosed;
    this.#broken = parts.broken === null ? null : new FrameError(parts.broken);
    this.#closer = { outgoing: parts.outgoing, closedFlags: parts.closedFlags, side: parts.side };
    this.#remember();
  }

  /** @internal An end made of `parts` (for `threadPipe` and for ends arriving from another thread). */
  static _fromParts(parts: EndParts): ThreadConnection {
    constructing = parts;
    return new ThreadConnection();
  }

  /** Whether `close()` was called (or the end was handed to another thread). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end can receive. */
  get readable(): boolean {
    return this.#incoming !== null;
  }

  /** Whether this end can send. */
  get writable(): boolean {
    return this.#outgoing !== null;
  }

  // --- sending ---------------------------------------------------------------------------------

  /**
   * Sends `value`: anything a thread queue takes (structured-cloneable data, with shoal's queues,
   * locks, events and other pipe ends inside arriving as working objects). In one thread the peer
   * receives the very object; once the pipe spans threads, a copy (and a value that cannot cross
   * throws a TypeError here, naming its part).
   *
   * Never waits (the queue is unbounded), so it is synchronous and returns nothing: `await
   * conn.send(x)`, written for the spawn `Connection`, works unchanged. Throws `ProcessError` when
   * this end is closed or read-only, and an Error with `code: "EPIPE"` when the other end has closed.
   */
  send(value: unknown): void {
    const outgoing = this.#sendingQueue("send");
    try {
      outgoing.put(wrapMessage(value));
    } catch (error) {
      throw renamedPutError(error, "ThreadConnection.send value");
    }
  }

  /**
   * Sends `size` bytes of `buffer` from `offset` as one message (Python's `send_bytes`). The bytes
   * are copied at once: the buffer may be reused as soon as this returns. Received as a `Buffer`.
   */
  sendBytes(buffer: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): void {
    const outgoing = this.#sendingQueue("sendBytes");
    const given: unknown = buffer;
    if (!ArrayBuffer.isView(given) && !(given instanceof ArrayBuffer) && !(given instanceof SharedArrayBuffer)) {
      throw new TypeError(`ThreadConnection.sendBytes: buffer must be an ArrayBuffer or a view of one (Buffer, Uint8Array, ...): got ${describe(buffer)}`);
    }
    const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`ThreadConnection.sendBytes: offset must be a non-negative integer: got ${describe(offset)}`);
    if (offset > bytes.length) throw new RangeError(`ThreadConnection.sendBytes: offset ${offset} is beyond the buffer's ${bytes.length} bytes`);
    const count = size ?? bytes.length - offset;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`ThreadConnection.sendBytes: size must be a non-negative integer: got ${describe(size)}`);
    if (offset + count > bytes.length) {
      throw new RangeError(`ThreadConnection.sendBytes: offset ${offset} + size ${count} is beyond the buffer's ${bytes.length} bytes`);
    }
    // A Buffer of its own (never shared memory): the queue carries it as raw bytes, and it arrives as a Buffer.
    outgoing.put(Buffer.copyBytesFrom(bytes, offset, count));
  }

  // --- receiving -------------------------------------------------------------------------------

  /**
   * The next message. Rejects `EOFError` once the other end has closed and every message sent
   * before has been received; `TimeoutError` when `timeout` ms pass first; the signal's reason when
   * it aborts (the message, if one comes, stays for the next `recv`).
   */
  async recv(options: WaitOptions = {}): Promise<unknown> {
    return this.#nextMessage("recv", checkOptions(options, "recv"));
  }

  /** Blocking twin of `recv`, for worker threads (on the main thread it freezes the event loop while it waits). */
  recvSync(options: ThreadConnectionSyncOptions = {}): unknown {
    return this.#nextMessageSync("recvSync", checkOptions(options, "recvSync"));
  }

  /**
   * The next message's bytes, as a Buffer (Python's `recv_bytes`): a message sent with `sendBytes`,
   * or any typed array or Buffer sent with `send`. A longer message than `maxlength` throws
   * `FrameError` and makes this end unreadable, as in Python. A message that is not bytes throws
   * `ProcessError` and stays for `recv`.
   */
  async recvBytes(options: WaitOptions & { maxlength?: number | undefined } = {}): Promise<Buffer> {
    const maxlength = checkMaxlength(checkOptions(options, "recvBytes").maxlength, "ThreadConnection.recvBytes");
    return this.#bytesOf(await this.#nextMessage("recvBytes", options), "recvBytes", maxlength);
  }

  /** Blocking twin of `recvBytes`, for worker threads. */
  recvBytesSync(options: ThreadConnectionSyncOptions & { maxlength?: number | undefined } = {}): Buffer {
    const maxlength = checkMaxlength(checkOptions(options, "recvBytesSync").maxlength, "ThreadConnection.recvBytesSync");
    return this.#bytesOf(this.#nextMessageSync("recvBytesSync", options), "recvBytesSync", maxlength);
  }

  /**
   * Reads the next message into `buffer` at byte `offset`, resolving its length. When it does not
   * fit, rejects `BufferTooShort`, whose `received` is the whole message (consumed, as in Python).
   */
  async recvBytesInto(buffer: ArrayBufferView, offset = 0, options: WaitOptions = {}): Promise<number> {
    const target = intoTarget(buffer, offset, "ThreadConnection.recvBytesInto");
    const bytes = this.#bytesOf(await this.#nextMessage("recvBytesInto", checkOptions(options, "recvBytesInto")), "recvBytesInto", undefined);
    return copyInto(bytes, target, offset);
  }

  /** Blocking twin of `recvBytesInto`, for worker threads. */
  recvBytesIntoSync(buffer: ArrayBufferView, offset = 0, options: ThreadConnectionSyncOptions = {}): number {
    const target = intoTarget(buffer, offset, "ThreadConnection.recvBytesIntoSync");
    const bytes = this.#bytesOf(this.#nextMessageSync("recvBytesIntoSync", checkOptions(options, "recvBytesIntoSync")), "recvBytesIntoSync", undefined);
    return copyInto(bytes, target, offset);
  }

  /**
   * Whether `recv` would not wait (a message is there, or the other end has closed), waiting up to
   * `timeout` ms for it (default 0: just look; `Infinity` waits for good). Resolves true when this
   * end is closed while it waits (`recv` would then fail at once).
   */
  async poll(options: WaitOptions = {}): Promise<boolean> {
    const incoming = this.#receivingQueue("poll");
    checkOptions(options, "poll");
    const timeout = checkTimeout(options.timeout, "ThreadConnection.poll: timeout") ?? 0;
    const signal = checkSignal(options.signal, "ThreadConnection.poll: signal");
    if (this.#ready(incoming)) return true;
    if (timeout === 0) return false;
    const waited = await this.#wait(incoming, timeout, signal);
    if (waited === "timeout") return false;
    if (waited !== "closed") this.#hold(waited.item);
    return true;
  }

  /** Blocking twin of `poll`, for worker threads. */
  pollSync(options: ThreadConnectionSyncOptions = {}): boolean {
    const incoming = this.#receivingQueue("pollSync");
    checkOptions(options, "pollSync");
    const timeout = checkTimeout(options.timeout, "ThreadConnection.pollSync: timeout") ?? 0;
    if (this.#ready(incoming)) return true;
    if (timeout === 0) return false;
    const waited = waitSync(incoming, timeout);
    if (waited === "timeout") return false;
    this.#hold(waited.item);
    return true;
  }

  // --- closing ---------------------------------------------------------------------------------

  /**
   * Closes this end. The other end receives the messages sent before, then `EOFError`; its sends
   * fail from now on. A `recv` waiting on this end rejects `EOFError`. Closing again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = undefined;
    this.#forget();
    announceClose(this.#closer);
    for (const wait of this.#waits) wait.abort(CLOSED_HERE);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  get [Symbol.toStringTag](): string {
    const direction = this.readable && this.writable ? "duplex" : this.readable ? "read-only" : "write-only";
    return `ThreadConnection (${direction}${this.#closed ? ", closed" : ""})`;
  }

  // --- crossing to another thread ----------------------------------------------------------------

  /**
   * @internal The wire form of this end for another thread; this end becomes closed here.
   * @throws TypeError starting with `where` when it cannot go.
   */
  static _moveOut(end: ThreadConnection, where: string): ThreadConnectionWire {
    return end.#moveOut(where);
  }

  /** @internal The value it went out in has encoded whole: the end now lives in the other thread. */
  static _commitMove(end: ThreadConnection): void {
    end.#closed = true;
    end.#movedTo = end.#pendingMove;
    end.#pendingMove = undefined;
    end.#forget();
  }

  /** @internal A later part of the value could not cross: the end stays here, open. */
  static _rollbackMove(end: ThreadConnection): void {
    end.#pendingMove = undefined;
  }

  /**
   * @internal The value it went out in came back to this thread undecoded (a queue handing a
   * thread back its own item): no other thread has this end, so it is open here again.
   */
  static _reclaimMove(end: ThreadConnection): void {
    if (end.#movedTo === undefined) return;
    end.#closed = false;
    end.#movedTo = undefined;
    end.#remember();
  }

  #moveOut(where: string): ThreadConnectionWire {
    if (this.#closed) {
      const moved = this.#movedTo === undefined ? "" : ` (it was already handed over as ${this.#movedTo})`;
      throw new TypeError(`${where}: cannot send a closed ThreadConnection to a worker thread${moved}`);
    }
    if (this.#pendingMove !== undefined) {
      throw new TypeError(`${where}: cannot send one ThreadConnection twice in one value (it goes as ${this.#pendingMove} already)`);
    }
    if (this.#waits.size > 0) {
      throw new TypeError(`${where}: cannot send a ThreadConnection to a worker thread while a recv or poll on it is waiting in this thread`);
    }
    if (this.#held !== undefined) {
      // The message was taken out of the queue here and cannot be put back in front of the others.
      throw new TypeError(`${where}: cannot send a ThreadConnection to a worker thread while it holds a message taken by poll() or refused by recvBytes(); recv() it first`);
    }
    const wire: ThreadConnectionWire = {
      queues: [
        encodeForTransfer(this.#incoming, "thread", `${where} (the messages waiting for it)`),
        encodeForTransfer(this.#outgoing, "thread", `${where} (the messages it sent)`),
      ],
      closedFlags: this.#closer.closedFlags,
      side: this.#closer.side,
      peerClosed: this.#peerClosed,
      broken: this.#broken?.message ?? null,
    };
    // Moved, not copied: the other thread's end is the live one; closing this object must not close
    // it. The move happens in `_commitMove`, once the whole value has encoded: a start() that fails
    // on a later argument leaves this end open and usable.
    this.#pendingMove = where;
    return wire;
  }

  /** @internal The end a wire form stands for, in this thread. */
  static _moveIn(wire: ThreadConnectionWire): ThreadConnection {
    const [incoming, outgoing] = wire.queues.map((queue) => decodeFromTransfer(queue, "thread")) as Array<SimpleQueue<unknown> | null>;
    return ThreadConnection._fromParts({
      incoming: incoming ?? null,
      outgoing: outgoing ?? null,
      closedFlags: wire.closedFlags,
      side: wire.side,
      peerClosed: wire.peerClosed,
      broken: wire.broken,
    });
  }

  // --- internals -------------------------------------------------------------------------------

  /** Closes this end when it is collected, or when this worker thread exits, unless closed first. */
  #remember(): void {
    closeWhenCollected.register(this, this.#closer, this.#closer);
    if (!isMainThread) {
      openInThisThread.add(this.#closer);
      if (!closingAtExit) {
        closingAtExit = true;
        process.once("exit", closeAllAtExit);
      }
    }
  }

  /** Stops closing this end on collection or thread exit: it is closed, or lives on elsewhere. */
  #forget(): void {
    closeWhenCollected.unregister(this.#closer);
    openInThisThread.delete(this.#closer);
  }

  #checkOpen(op: string): void {
    if (!this.#closed) return;
    if (this.#movedTo !== undefined) {
      throw new ProcessError(`Cannot ${op}: connection is closed here: this end was handed to another thread (${this.#movedTo})`);
    }
    throw new ProcessError(`Cannot ${op}: connection is closed`);
  }

  #sendingQueue(op: string): SimpleQueue<unknown> {
    this.#checkOpen(op);
    const outgoing = this.#outgoing;
    if (outgoing === null) throw new ProcessError(`Cannot ${op}: connection is read-only`);
    if (Atomics.load(this.#closer.closedFlags, 1 - this.#closer.side) !== 0) {
      throw Object.assign(new Error(`Cannot ${op}: the other end of the connection has closed`), { code: "EPIPE" });
    }
    return outgoing;
  }

  #receivingQueue(op: string): SimpleQueue<unknown> {
    this.#checkOpen(op);
    if (this.#incoming === null) throw new ProcessError(`Cannot ${op}: connection is write-only`);
    return this.#incoming;
  }

  /** Whether the next message (or the reason there is none) is at hand. */
  #ready(incoming: SimpleQueue<unknown>): boolean {
    return this.#held !== undefined || this.#peerClosed || this.#broken !== null || !incoming.empty();
  }

  /**
   * The next message if it is at hand, `undefined` when it has to be waited for.
   * @throws the reason no message will come (EOFError, or the FrameError that made this end unreadable).
   */
  #takeReady(incoming: SimpleQueue<unknown>, op: string): { readonly value: unknown } | undefined {
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      return held;
    }
    if (this.#broken !== null) throw this.#broken;
    if (this.#peerClosed) throw eofError(op);
    // This end is the queue's only reader, so a queue that is not empty has an item for it.
    if (!incoming.empty()) return this.#message(incoming.getNowait(), op);
    return undefined;
  }

  /** The message an item of the queue carries. @throws EOFError for the end marker. */
  #message(item: unknown, op: string): { readonly value: unknown } {
    if (isTagged(item)) {
      if (item[TAG] === "end") {
        this.#peerClosed = true;
        throw eofError(op);
      }
      return { value: item.value };
    }
    return { value: item };
  }

  /** Keeps an item taken by `poll` for the next receive. */
  #hold(item: unknown): void {
    try {
      this.#held = this.#message(item, "poll");
    } catch (error) {
      if (!(error instanceof EOFError)) throw error;
      // The end marker: `#peerClosed` now says it.
    }
  }

  async #nextMessage(op: string, options: WaitOptions): Promise<unknown> {
    const incoming = this.#receivingQueue(op);
    const timeout = checkTimeout(options.timeout, `ThreadConnection.${op}: timeout`);
    const signal = checkSignal(options.signal, `ThreadConnection.${op}: signal`);
    const ready = this.#takeReady(incoming, op);
    if (ready !== undefined) return ready.value;
    const waited = await this.#wait(incoming, timeout, signal);
    if (waited === "timeout") throw timeoutError(op, timeout);
    if (waited === "closed") throw new EOFError(`Cannot ${op}: this end of the connection was closed while waiting`);
    return this.#message(waited.item, op).value;
  }

  #nextMessageSync(op: string, options: ThreadConnectionSyncOptions): unknown {
    const incoming = this.#receivingQueue(op);
    const timeout = checkTimeout(options.timeout, `ThreadConnection.${op}: timeout`);
    const ready = this.#takeReady(incoming, op);
    if (ready !== undefined) return ready.value;
    const waited = waitSync(incoming, timeout);
    if (waited === "timeout") throw timeoutError(op, timeout);
    return this.#message(waited.item, op).value;
  }

  /** Waits for the next item of the queue; this end's `close()` ends the wait ("closed"). */
  async #wait(incoming: SimpleQueue<unknown>, timeout: number | undefined, signal: AbortSignal | undefined): Promise<Waited> {
    const wait = new AbortController();
    const forward = (): void => wait.abort(signal!.reason);
    signal?.addEventListener("abort", forward, { once: true });
    this.#waits.add(wait);
    try {
      return { item: await incoming.get({ timeout, signal: wait.signal }) };
    } catch (error) {
      if (error instanceof Empty) return "timeout";
      if (wait.signal.aborted && wait.signal.reason === CLOSED_HERE) return "closed";
      throw error;
    } finally {
      signal?.removeEventListener("abort", forward);
      this.#waits.delete(wait);
    }
  }

  /** The bytes of a received message; a message that is not bytes is kept for `recv`. */
  #bytesOf(value: unknown, op: string, maxlength: number | undefined): Buffer {
    if (!ArrayBuffer.isView(value)) {
      this.#held = { value };
      throw new ProcessError(`Cannot ${op}: the next message is ${describe(value)}, not bytes; receive it with recv()`);
    }
    // Bytes in shared memory (a view sent with send) are copied: what is returned is the receiver's own.
    const bytes =
      value.buffer instanceof SharedArrayBuffer
        ? Buffer.copyBytesFrom(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
        : value instanceof Buffer
          ? value
          : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (maxlength !== undefined && bytes.length > maxlength) {
      this.#broken = new FrameError(`Cannot receive message of ${bytes.length} bytes: longer than maxlength ${maxlength}`);
      throw this.#broken;
    }
    return bytes;
  }
}

/** Waits for the next item of the queue, blocking the thread. */
function waitSync(incoming: SimpleQueue<unknown>, timeout: number | undefined): { readonly item: unknown } | "timeout" {
  try {
    return { item: incoming.getSync({ timeout }) };
  } catch (error) {
    if (error instanceof Empty) return "timeout";
    throw error;
  }
}

function eofError(op: string): EOFError {
  return new EOFError(`Cannot ${op}: the other end of the connection has closed`);
}

function timeoutError(op: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(`Cannot ${op}: no message arrived within ${timeout} ms`);
}

function checkOptions<O extends object>(options: O, op: string): O {
  checkOptionsObject(options ?? null, `ThreadConnection.${op}`);
  return options;
}

function checkMaxlength(maxlength: number | undefined, where: string): number | undefined {
  if (maxlength === undefined) return undefined;
  if (typeof maxlength !== "number" || Number.isNaN(maxlength) || maxlength < 0) {
    throw new RangeError(`${where}: maxlength must be a non-negative number of bytes: got ${describe(maxlength)}`);
  }
  return maxlength;
}

function intoTarget(buffer: ArrayBufferView, offset: number, where: string): Uint8Array {
  if (!ArrayBuffer.isView(buffer)) throw new TypeError(`${where}: buffer must be a Buffer, typed array or DataView: got ${describe(buffer)}`);
  const target = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
    throw new RangeError(`${where}: offset must be an integer between 0 and ${target.length}: got ${describe(offset)}`);
  }
  return target;
}

function copyInto(bytes: Buffer, target: Uint8Array, offset: number): number {
  if (bytes.length > target.length - offset) throw new BufferTooShort(bytes, target.length - offset);
  target.set(bytes, offset);
  return bytes.length;
}

/**
 * The queue names itself in the TypeError for an item that cannot cross (`Queue.putNowait: ...`);
 * the caller called `send`, so the error names that instead.
 */
function renamedPutError(error: unknown, where: string): unknown {
  const prefix = "Queue.putNowait item";
  if (error instanceof TypeError && error.message.startsWith(prefix)) {
    return new TypeError(`${where}${error.message.slice(prefix.length)}`, { cause: error });
  }
  return error;
}

/**
 * A pair of connected `ThreadConnection`s: `[a, b]`, or `[readOnly, writeOnly]` with
 * `duplex: false`. Synchronous (no socket to set up); `await ctx.Pipe()`, as written for the spawn
 * context, works unchanged.
 */
export function threadPipe(options: ThreadPipeOptions = {}): [ThreadConnection, ThreadConnection] {
  if (typeof options !== "object" || options === null) throw new TypeError(`Pipe: options must be an object: got ${describe(options)}`);
  const duplex = options.duplex ?? true;
  if (typeof duplex !== "boolean") throw new TypeError(`Pipe: duplex must be a boolean: got ${describe(duplex)}`);
  const closedFlags = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const end = (side: 0 | 1, incoming: SimpleQueue<unknown> | null, outgoing: SimpleQueue<unknown> | null): ThreadConnection =>
    ThreadConnection._fromParts({ incoming, outgoing, closedFlags, side, peerClosed: false, broken: null });
  if (!duplex) {
    const messages = new SimpleQueue<unknown>();
    return [end(0, messages, null), end(1, null, messages)];
  }
  const toFirst = new SimpleQueue<unknown>();
  const toSecond = new SimpleQueue<unknown>();
  return [end(0, toFirst, toSecond), end(1, toSecond, toFirst)];
}

registerShareable<ThreadConnection, ThreadConnectionWire>({
  kind: "multiprocessing.ThreadConnection",
  module: import.meta.url,
  is: (value): value is ThreadConnection => value instanceof ThreadConnection,
  encode(end, boundary, where) {
    if (boundary === "process") {
      throw new TypeError(
        `${where}: cannot send the worker context's ThreadConnection (a Pipe end) to another process: its messages go through queues ` +
          `shared by the threads of one process; use the "spawn" context's Pipe (getContext("spawn").Pipe()) between processes`,
      );
    }
    return ThreadConnection._moveOut(end, where);
  },
  commit: (end) => ThreadConnection._commitMove(end),
  rollback: (end) => ThreadConnection._rollbackMove(end),
  reclaim: (end) => ThreadConnection._reclaimMove(end),
  decode: (wire) => ThreadConnection._moveIn(wire),
});
