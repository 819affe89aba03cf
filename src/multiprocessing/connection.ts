/**
 * `Connection`: one end of a message stream between two processes (Python's
 * `multiprocessing.connection.Connection`). `Pipe()`, `Listener.accept()` and `Client()` make them.
 *
 * API (for users, and for the layers built on it: the object server, Manager, Pool):
 *
 *   await conn.send(value)              // v8.serialize (shoal objects inside cross as working objects)
 *   const value = await conn.recv()     // rejects EOFError once the other end has closed
 *   await conn.sendBytes(buf, offset?, size?)
 *   const bytes = await conn.recvBytes({ maxlength? })
 *   const n = await conn.recvBytesInto(buf, offset?)   // BufferTooShort carries the whole message
 *   await conn.poll({ timeout? })       // true when recv would not wait (a message, or EOF)
 *   conn.close(); conn.closed; conn.readable; conn.writable; using conn = ...
 *
 *   // for servers built on it (the object server, Manager):
 *   await conn.recvFrame("recv")        // the next message's raw bytes (decode them yourself)
 *   await conn.sendRaw(bytes)           // one message of raw bytes (what `dumps()` produced)
 *   conn.holdsProcess = false           // waiting on it no longer keeps the process alive
 *
 * Wire: length-prefixed frames (`framing.ts`) on a stream socket (unix socket or TCP). Each `send`
 * resolves when its bytes have been handed to the kernel, so `await conn.send(x)` followed by process
 * exit loses nothing. Large payloads are written as they are (header and payload as one `writev`),
 * never copied into a bigger buffer.
 *
 * Reading is lazy: the socket is read only once `recv`/`poll` (or `wait`) asks for a message. Until
 * then the bytes stay in the kernel, which is what lets an unused end be handed to a child process
 * (`Process` args) without losing anything: the child receives the socket itself.
 *
 * A `recv` that has to wait first lets `spin-read.ts` read the socket directly for a few
 * microseconds once the process is otherwise idle (a reply on its way is taken without an
 * event-loop wake-up); small messages are written straight to the socket (`socket-io.ts`).
 *
 * The socket keeps the process alive only while something waits on it (a `recv`, a `poll`, an
 * unflushed `send`): an idle connection does not hold the process open, as in Python.
 */
import { readSync } from "node:fs";
import type { Socket } from "node:net";
import { FrameParser, frameHeader, frameOf } from "./framing.js";
import { BufferTooShort, EOFError, FrameError, ProcessError, TimeoutError } from "./errors.js";
import { DefaultSerializer } from "node:v8";
import { encodeForTransfer } from "../internal/codec.js";
import { loadsImporting } from "./serialize.js";
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { parkSpin, unparkSpin, type SpinTarget } from "./spin-read.js";
import { descriptorOf, writeThrough } from "./socket-io.js";
import { encodeScalar } from "./scalar-codec.js";

/** Options of a connection's ends. */
export interface ConnectionOptions {
  /** Whether this end receives (default true). */
  readable?: boolean | undefined;
  /** Whether this end sends (default true). */
  writable?: boolean | undefined;
  /**
   * Largest message accepted, in bytes (default 1 GiB). A frame announcing more is refused before
   * anything is buffered, and the connection becomes unreadable.
   */
  maxMessageSize?: number | undefined;
}

/** Default `maxMessageSize`: 1 GiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 2 ** 30;

/** Payloads up to this size are copied behind their header and written at once. */
const COPY_LIMIT = 64 * 1024;

/** Stop reading the socket when this many bytes of received messages wait for `recv`. */
const READ_AHEAD = 64 * 1024 * 1024;

const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY = Buffer.alloc(0);

const HEADER_ROOM = Buffer.alloc(4);

/** What `poll()` reads the socket into (the chunks taken are copied out of it). */
let readScratch: Buffer | undefined;

/**
 * `value` serialized behind 4 bytes of room for its frame header: one buffer, no copy (what
 * `v8.serialize` does, with the room written first).
 */
function framedValue(value: unknown, where: string): Buffer {
  const encoded = encodeForTransfer(value, "process", where);
  const serializer = new DefaultSerializer();
  serializer.writeRawBytes(HEADER_ROOM);
  serializer.writeHeader();
  try {
    serializer.writeValue(encoded);
  } catch (error) {
    throw new TypeError(`${where}: cannot be serialized: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return serializer.releaseBuffer();
}

/**
 * A message's value. V8's own words for bytes that are no serialized value ("Unable to deserialize
 * cloned data") say neither what nor why: the usual cause is a message sent with `sendBytes`.
 */
function loadMessage(frame: Buffer): unknown {
  try {
    return loadsImporting(frame);
  } catch (error) {
    if (error instanceof TypeError) throw error; // a refused marker, which says why itself
    throw new ProcessError(
      `Cannot recv: the message (${frame.length} bytes) is not a value sent with send(); ` +
        `bytes sent with sendBytes() are read with recvBytes(): ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}

function decode(frame: Buffer): Promise<unknown> {
  try {
    return Promise.resolve(loadMessage(frame));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Symbol of the readiness hook used by `wait()` (a promise settling when `recv` would not wait). */
export const kWhenReadable: unique symbol = Symbol("shoal.whenReadable");

/** Symbol of the hook that hands the socket over to another process (see `detach`). */
export const kDetach: unique symbol = Symbol("shoal.detach");

/** One end of a message stream between processes. */
export class Connection implements Disposable {
  #socket: Socket | null;
  readonly #readable: boolean;
  readonly #writable: boolean;
  readonly #parser: FrameParser;
  #frames: Buffer[] = [];
  #head = 0;
  #queuedBytes = 0;
  #waiters: Array<() => void> = [];
  #reading = false;
  #paused = false;
  /** Why no more messages will come (EOF, a broken frame, a socket error), once known. */
  #ended: Error | null = null;
  #closed = false;
  #busy = 0;
  #holdsProcess = true;
  /** This connection as the spinning reads of `spin-read.ts` see it. */
  readonly #spinTarget: SpinTarget = ((connection: Connection): SpinTarget => ({
    get spinSocket(): Socket | null {
      return connection.#paused ? null : connection.#socket;
    },
    onChunk: (chunk) => connection.#onChunk(chunk),
  }))(this);

  /**
   * Wraps a connected stream socket. Meant for `Pipe`, `Listener` and `Client`; use those.
   * The socket must not have been read from (create it paused).
   */
  constructor(socket: Socket, options: ConnectionOptions = {}) {
    this.#socket = socket;
    this.#readable = options.readable ?? true;
    this.#writable = options.writable ?? true;
    this.#parser = new FrameParser(options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
    socket.on("error", (error) => this.#end(error));
    socket.on("close", () => this.#end(null));
    socket.unref();
  }

  /** Whether `close()` was called (or the end was handed to another process). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end can receive. */
  get readable(): boolean {
    return this.#readable;
  }

  /** Whether this end can send. */
  get writable(): boolean {
    return this.#writable;
  }

  /**
   * Sends `value` (anything `v8.serialize` takes, with shoal's queues, locks and connections inside
   * arriving as working objects). Throws a TypeError at once, naming the part, if it cannot cross.
   * Resolves when the bytes are with the kernel.
   */
  send(value: unknown): Promise<void> {
    this.#checkWritable("send");
    const scalar = encodeScalar(value);
    if (scalar !== undefined) return this.#write(scalar);
    return this.#writeFramed(framedValue(value, "Connection.send value"));
  }

  /**
   * Sends `size` bytes of `buffer` starting at `offset` as one message (Python's `send_bytes`).
   * The bytes are not copied when large: do not modify them until the promise resolves.
   */
  sendBytes(buffer: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): Promise<void> {
    this.#checkWritable("sendBytes");
    const given: unknown = buffer;
    if (!ArrayBuffer.isView(given) && !(given instanceof ArrayBuffer) && !(given instanceof SharedArrayBuffer)) {
      throw new TypeError(`Connection.sendBytes: buffer must be an ArrayBuffer or a view of one (Buffer, Uint8Array, ...): got ${describe(buffer)}`);
    }
    const bytes = ArrayBuffer.isView(buffer)
      ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      : new Uint8Array(buffer);
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`Connection.sendBytes: offset must be a non-negative integer: got ${describe(offset)}`);
    if (offset > bytes.length) throw new RangeError(`Connection.sendBytes: offset ${offset} is beyond the buffer's ${bytes.length} bytes`);
    const count = size ?? bytes.length - offset;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`Connection.sendBytes: size must be a non-negative integer: got ${describe(size)}`);
    if (offset + count > bytes.length) {
      throw new RangeError(`Connection.sendBytes: offset ${offset} + size ${count} is beyond the buffer's ${bytes.length} bytes`);
    }
    return this.#write(bytes.subarray(offset, offset + count));
  }

  /**
   * Whether waiting for a message keeps the process alive (default true). A server reading requests
   * from its clients sets it to false, so that they do not keep it running.
   */
  get holdsProcess(): boolean {
    return this.#holdsProcess;
  }

  set holdsProcess(value: boolean) {
    this.#holdsProcess = value;
    if (!value) this.#socket?.unref();
    else if (this.#busy > 0) this.#socket?.ref();
  }

  /** Lowers the size limit to `max` bytes for the next `count` messages (the handshake's). @internal */
  limitNextMessages(count: number, max: number): void {
    this.#parser.limitNext(count, max);
  }

  /** Sends a pre-framed payload without serializing (the object server and queues use it). */
  sendRaw(payload: Uint8Array): Promise<void> {
    this.#checkWritable("send");
    return this.#write(payload);
  }

  /**
   * The next message's value. Rejects `EOFError` when the other end has closed (or broke) and no
   * message is left; `TimeoutError` when none comes within `timeout` ms; the signal's reason when
   * it aborts.
   */
  recv(options?: WaitOptions): Promise<unknown> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    try {
      this.#checkReadable("recv");
      if (options !== undefined) ({ timeout, signal } = waitOptions(options, "recv"));
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#head < this.#frames.length) return decode(this.#take());
    return this.#waitFrame("recv", loadMessage, timeout, signal);
  }

  /**
   * The next message's bytes (Python's `recv_bytes`). A message longer than `maxlength` throws
   * `FrameError` and makes this end unreadable, as in Python. `timeout` and `signal` as in `recv`.
   */
  async recvBytes(options: WaitOptions & { maxlength?: number | undefined } = {}): Promise<Buffer> {
    const { timeout, signal } = waitOptions(options, "recvBytes");
    const { maxlength } = options;
    if (maxlength !== undefined && (typeof maxlength !== "number" || Number.isNaN(maxlength) || maxlength < 0)) {
      throw new TypeError(`Connection.recvBytes: maxlength must be a number of bytes, zero or more: got ${describe(maxlength)}`);
    }
    const frame = await this.#nextFrame("recvBytes", timeout, signal);
    if (maxlength !== undefined && frame.length > maxlength) {
      this.#end(new FrameError(`Cannot receive message of ${frame.length} bytes: longer than maxlength ${maxlength}`));
      throw this.#ended;
    }
    return frame;
  }

  /**
   * Reads the next message into `buffer` at byte `offset`, resolving its length. When it does not
   * fit, rejects `BufferTooShort`, whose `received` is the whole message. `timeout` and `signal`
   * as in `recv`.
   */
  async recvBytesInto(buffer: ArrayBufferView, offset = 0, options: WaitOptions = {}): Promise<number> {
    if (!ArrayBuffer.isView(buffer)) throw new TypeError(`Connection.recvBytesInto: buffer must be a Buffer, a typed array or a DataView: got ${describe(buffer)}`);
    const target = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
      throw new RangeError(`Connection.recvBytesInto: offset must be between 0 and ${target.length}: got ${offset}`);
    }
    const { timeout, signal } = waitOptions(options, "recvBytesInto");
    const frame = await this.#nextFrame("recvBytesInto", timeout, signal);
    if (frame.length > target.length - offset) throw new BufferTooShort(frame, target.length - offset);
    target.set(frame, offset);
    return frame.length;
  }

  #nextFrame(op: string, timeout: number | undefined, signal: AbortSignal | undefined): Promise<Buffer> {
    if (timeout === undefined && signal === undefined) return this.recvFrame(op);
    this.#checkReadable(op);
    if (this.#head < this.#frames.length) return Promise.resolve(this.#take());
    return this.#waitFrame(op, (frame) => frame, timeout, signal);
  }

  /**
   * Whether a message (or the end of the stream) is there to receive, waiting up to `timeout`
   * milliseconds (default 0: just look). `timeout: undefined` with `{ timeout: Infinity }` waits forever.
   */
  async poll(options: WaitOptions = {}): Promise<boolean> {
    this.#checkReadable("poll");
    checkOptions(options, "Connection.poll");
    const timeout = checkTimeout(options.timeout, "Connection.poll: timeout") ?? 0;
    const signal = options.signal;
    signal?.throwIfAborted();
    if (this.#ready()) return true;
    if (timeout === 0) {
      this.#startReading();
      // The stream reads only when the event loop polls, a turn or more after it is resumed: a
      // message already with the kernel would be reported missing (Python's poll() selects on the
      // socket and sees it). So read the descriptor now, as a spinning wait does.
      if (this.#readNow()) return true;
      await new Promise<void>((resolve) => setImmediate(resolve));
      return this.#ready();
    }
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#release();
        resolve(this.#ready());
      };
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        clearTimeout(timer);
        this.#release();
        reject(signal!.reason);
      };
      if (timeout !== Infinity) timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        done();
      }, timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#hold();
      this.#waiters.push(done);
      this.#startReading();
    });
  }

  /** Closes this end. Sends already queued are still delivered; later calls throw. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      socket.removeAllListeners("data");
      if (socket.writableLength > 0 || socket.pending) {
        socket.ref();
        socket.end(() => socket.destroy());
      } else {
        socket.destroy();
      }
    }
    this.#end(null);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** `await using` closes it too. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /**
   * The socket's file descriptor (-1 when there is none usable), for a caller that writes to it
   * directly and never through `send` (the object client). @internal
   */
  get descriptor(): number {
    return this.#closed ? -1 : descriptorOf(this.#socket);
  }

  /** The next frame's bytes (the object server reads frames itself). @internal */
  recvFrame(op: string): Promise<Buffer> {
    try {
      this.#checkReadable(op);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#head < this.#frames.length) return Promise.resolve(this.#take());
    return this.#waitFrame(op);
  }

  #waitFrame(op: string): Promise<Buffer>;
  #waitFrame<T>(op: string, transform: (frame: Buffer) => T | Promise<T>, timeout?: number, signal?: AbortSignal): Promise<T>;
  #waitFrame(op: string, transform?: (frame: Buffer) => unknown, timeout?: number, signal?: AbortSignal): Promise<unknown> {
    this.#hold();
    this.#startReading();
    return new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      // Only a wait with a bound has something to undo when it ends early.
      const giveUp = (error: unknown): void => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== check);
        clearTimeout(timer);
        if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
        unparkSpin(this.#spinTarget, false);
        this.#release();
        reject(error);
      };
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(() => giveUp(new TimeoutError(`Cannot ${op}: no message arrived within ${timeout} ms`)), timeout);
      }
      if (signal !== undefined) {
        onAbort = () => giveUp(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      }
      const settled = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
      };
      const check = (): void => {
        if (this.#head < this.#frames.length) {
          settled();
          unparkSpin(this.#spinTarget, true);
          this.#release();
          if (transform === undefined) {
            resolve(this.#take());
            return;
          }
          try {
            resolve(transform(this.#take()));
          } catch (error) {
            reject(error);
          }
        } else if (this.#ended !== null || this.#closed) {
          settled();
          unparkSpin(this.#spinTarget, false);
          this.#release();
          reject(this.#closed && this.#ended === null ? new ProcessError(`Cannot ${op}: connection is closed`) : this.#endError(op));
        } else {
          parkSpin(this.#spinTarget);
          this.#waiters.push(check);
        }
      };
      check();
    });
  }

  /** A promise settling when `recv` would not wait. @internal (for `wait()`) */
  [kWhenReadable](): Promise<void> {
    if (this.#ready() || this.#closed) return Promise.resolve();
    this.#startReading();
    this.#hold();
    return new Promise<void>((resolve) => this.#waiters.push(resolve)).finally(() => this.#release());
  }

  /**
   * Takes the socket out of this object to hand it to another process; this end becomes closed.
   * Refused once this end has read from the socket (bytes may be buffered here). @internal
   */
  [kDetach](where: string): Socket {
    if (this.#closed || this.#socket === null) throw new TypeError(`${where}: cannot send a closed Connection to another process`);
    if (this.#reading) {
      throw new TypeError(
        `${where}: cannot send a Connection this process has already read from to another process (messages may be buffered here); ` +
          `hand the end over before using it`,
      );
    }
    const socket = this.#socket;
    this.#socket = null;
    this.#closed = true;
    socket.removeAllListeners("error");
    socket.removeAllListeners("close");
    socket.on("error", () => undefined);
    this.#end(null);
    return socket;
  }

  /** Whether this end has received from its socket. @internal */
  get reading(): boolean {
    return this.#reading;
  }

  #ready(): boolean {
    return this.#head < this.#frames.length || this.#ended !== null;
  }

  #take(): Buffer {
    const frame = this.#frames[this.#head]!;
    this.#frames[this.#head] = undefined as unknown as Buffer;
    this.#head += 1;
    if (this.#head === this.#frames.length) {
      this.#frames = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= frame.length;
    if (this.#paused && this.#queuedBytes < READ_AHEAD / 2) {
      this.#paused = false;
      this.#socket?.resume();
    }
    return frame;
  }

  #startReading(): void {
    if (this.#reading || this.#socket === null) return;
    this.#reading = true;
    const socket = this.#socket;
    socket.on("data", (chunk: Buffer) => this.#onChunk(chunk));
    socket.on("end", () => this.#end(null));
    socket.resume();
  }

  /**
   * Reads what the socket holds now, without waiting, until a message (or the end) is ready or the
   * kernel has nothing more; whether one is ready. Safe while JavaScript runs: libuv reads only
   * when the event loop polls, and then finds EAGAIN.
   */
  #readNow(): boolean {
    // A socket handed over to this process (a Process argument) may have read ahead into its
    // stream before this end was used: those bytes come first, from the stream, a tick later.
    // Reading past them here would give the parser a message's tail before its head.
    if ((this.#socket?.readableLength ?? 0) > 0) return false;
    const buffer = (readScratch ??= Buffer.allocUnsafe(64 * 1024));
    while (!this.#ready()) {
      const fd = this.#paused ? -1 : descriptorOf(this.#socket);
      if (fd < 0) break;
      let count: number;
      // EAGAIN is the usual answer of a poll() that finds nothing: without a stack trace its
      // error costs a fraction (with one, an empty poll took four times as long as before).
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        count = readSync(fd, buffer, 0, buffer.length, null);
      } catch {
        break; // EAGAIN: nothing more now; anything else is the stream's to report
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      if (count === 0) {
        this.#end(null);
        break;
      }
      this.#onChunk(Buffer.from(buffer.subarray(0, count)));
    }
    return this.#ready();
  }

  /** Takes bytes read from the socket (by the stream, or by a spinning wait). */
  #onChunk(chunk: Buffer): void {
    const socket = this.#socket;
    try {
      this.#parser.push(chunk, this.#pushFrame);
    } catch (error) {
      this.#end(error as Error);
      socket?.destroy();
    }
    if (this.#queuedBytes > READ_AHEAD && !this.#paused) {
      this.#paused = true;
      socket?.pause();
    }
    this.#wake();
  }

  readonly #pushFrame = (frame: Buffer): void => {
    this.#frames.push(frame);
    this.#queuedBytes += frame.length;
  };

  #end(error: Error | null): void {
    if (this.#ended === null) {
      if (error !== null) this.#ended = error;
      else {
        const partial = this.#parser.partial;
        this.#ended =
          partial === undefined
            ? new EOFError("Cannot receive: the other end of the connection has closed")
            : new EOFError(
                `Cannot receive: the connection closed in the middle of a message (got ${partial.have} of ` +
                  `${partial.expected === undefined ? "a frame header's" : partial.expected} bytes)`,
              );
      }
    }
    this.#wake();
  }

  #endError(op: string): Error {
    const ended = this.#ended!;
    if (ended instanceof EOFError || ended instanceof FrameError) return ended;
    return new EOFError(`Cannot ${op}: the connection broke: ${ended.message}`, { cause: ended });
  }

  #wake(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #hold(): void {
    if (this.#busy++ === 0 && this.#holdsProcess) this.#socket?.ref();
  }

  #release(): void {
    if (--this.#busy === 0) this.#socket?.unref();
  }

  #checkReadable(op: string): void {
    if (this.#closed) throw new ProcessError(`Cannot ${op}: connection is closed`);
    if (!this.#readable) throw new ProcessError(`Cannot ${op}: connection is write-only`);
  }

  #checkWritable(op: string): void {
    if (this.#closed) throw new ProcessError(`Cannot ${op}: connection is closed`);
    if (!this.#writable) throw new ProcessError(`Cannot ${op}: connection is read-only`);
  }

  /** Writes a buffer that already holds its frame header (`framedValue`). */
  #writeFramed(frame: Buffer): Promise<void> {
    if (frame.length - 4 > 0x7fffffff) return this.#write(frame.subarray(4));
    frame.writeInt32BE(frame.length - 4, 0);
    const socket = this.#socket!;
    if (socket.destroyed || socket.writableEnded) return this.#write(frame.subarray(4));
    if (writeThrough(socket, frame) || (socket.writableLength === 0 && !socket.destroyed)) return RESOLVED;
    this.#hold();
    return new Promise<void>((resolve, reject) => {
      socket.write(EMPTY, (error) => {
        this.#release();
        if (error) reject(error);
        else resolve();
      });
    });
  }

  #write(payload: Uint8Array): Promise<void> {
    const socket = this.#socket!;
    if (socket.destroyed || socket.writableEnded) {
      return Promise.reject(Object.assign(new Error("Cannot send: the other end of the connection has closed"), { code: "EPIPE" }));
    }
    let settle: ((error: Error | null | undefined) => void) | undefined;
    let outcome: Error | null | undefined;
    let finished = false;
    const done = (error: Error | null | undefined): void => {
      finished = true;
      outcome = error;
      settle?.(error);
    };
    if (payload.byteLength <= COPY_LIMIT) {
      // Written straight to the kernel (the common case for small messages): nothing to wait for.
      if (writeThrough(socket, frameOf(payload)) || (socket.writableLength === 0 && !socket.destroyed)) return RESOLVED;
      // Still queued: an empty write's callback runs once everything before it is flushed.
      socket.write(EMPTY, done);
    } else {
      socket.cork();
      socket.write(frameHeader(payload.byteLength));
      socket.write(payload, done);
      socket.uncork();
      if (!finished && socket.writableLength === 0 && !socket.destroyed) return RESOLVED;
    }
    if (finished) return outcome ? Promise.reject(outcome) : RESOLVED;
    this.#hold();
    return new Promise<void>((resolve, reject) => {
      settle = (error) => {
        this.#release();
        if (error) reject(error);
        else resolve();
      };
    });
  }
}

/** The `timeout` and `signal` of a receive's options (a bare number is refused, naming the call). */
function waitOptions(options: WaitOptions, op: string): { timeout: number | undefined; signal: AbortSignal | undefined } {
  checkOptions(options, `Connection.${op}`);
  return { timeout: checkTimeout(options.timeout, `Connection.${op}: timeout`), signal: checkSignal(options.signal, `Connection.${op}: signal`) };
}
