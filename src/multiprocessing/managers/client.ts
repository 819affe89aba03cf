/**
 * The client side of the manager protocol: one connection per manager per thread, shared by every
 * proxy of that thread (Python opens one per thread too), carrying many calls at once.
 *
 * A call is a request frame; its promise settles with the reply of the same call id. The socket is
 * read only while calls are pending, so an idle connection never keeps the process alive.
 *
 * Aborting a call's signal asks the server to abandon it. The server answers either "cancelled"
 * (the promise rejects with the signal's reason) or, if the call finished first, its result, which
 * the promise then resolves with: an abort never loses an item taken from a queue or a lock
 * acquired on the caller's behalf.
 */
import { decodeMessage, encodeMessage } from "./wire.js";
import { decodeFromTransferAsync, encodeForTransfer, needsDecoding } from "../../internal/codec.js";
import { Client, type Address } from "../listener.js";
import type { Connection } from "../connection.js";
import { EOFError, ProcessError, RemoteError } from "../errors.js";
import { Empty, Full, ShutDown } from "../../queue/errors.js";
import { BrokenBarrierError, ThreadError } from "../../threading/errors.js";
import { isShareableModule } from "../shareable-modules.js";
import { CANCELLED, ERROR, PROXY, RETURN, addressKey, type SerializedError, type TokenData } from "./protocol.js";

interface Pending {
  resolve(reply: readonly [number, unknown]): void;
  reject(error: unknown): void;
}

/** The errors of a connect or a write that mean the manager (or its socket) is gone. */
const GONE = new Set(["ECONNREFUSED", "ENOENT", "EPIPE", "ECONNRESET", "ENOTCONN"]);
/** EOFErrors made by `asGone`, not wrapped again. */
const wrapped = new WeakSet<object>();

/** The raw outcome of a call: a reply kind and its (still encoded) value. */
export type Outcome = readonly [kind: number, value: unknown];

/** A connection to one manager, shared by the proxies of this thread. */
export class Channel {
  readonly address: Address;
  readonly authkey: Buffer;
  readonly #key: string;
  #conn: Connection | null = null;
  #connecting: Promise<Connection> | null = null;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #reading = false;
  #backlog: Array<{ bytes: Buffer; resolve: () => void; reject: (error: unknown) => void }> = [];
  readonly #postErrors = new Map<number, Error>();

  private constructor(address: Address, authkey: Buffer, key: string) {
    this.address = address;
    this.authkey = authkey;
    this.#key = key;
  }

  /** The channel of this thread to the manager at `address`. */
  static for(address: Address, authkey: Uint8Array): Channel {
    const key = `${addressKey(address)}\0${Buffer.from(authkey).toString("hex")}`;
    let channel = channels.get(key);
    if (channel === undefined) {
      channel = new Channel(address, Buffer.from(authkey), key);
      channels.set(key, channel);
    }
    return channel;
  }

  /** Connects now (a manager's `connect()`), so that a wrong address or key shows at once. */
  async open(): Promise<void> {
    await this.#connection();
  }

  /**
   * Sends `[callId, ...request]` and resolves with the reply's kind and value. `request` must be
   * structured-cloneable already (arguments encoded by the caller).
   */
  request(request: readonly unknown[], signal?: AbortSignal): Promise<Outcome> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    const bytes = encodeMessage([id, ...request]);
    return new Promise<Outcome>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      if (signal !== undefined) {
        onAbort = () => void this.#send(encodeMessage([id, "cancel"])).catch(() => undefined);
        signal.addEventListener("abort", onAbort, { once: true });
      }
      this.#pending.set(id, {
        resolve: (reply) => {
          if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
          if (reply[0] === CANCELLED && signal?.aborted) reject(signal.reason);
          else resolve(reply);
        },
        reject: (error) => {
          if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      this.#send(bytes).catch((error: unknown) => this.#broken(error));
    });
  }

  /**
   * Sends `[callId, "post", ...request]`: a call whose result is not awaited. Resolves when the
   * request is with the kernel (so anything this process does next comes after it); the server
   * answers only if it fails, and that error is kept for the next call on the same object.
   */
  post(request: readonly unknown[]): Promise<void> {
    return this.#send(encodeMessage([this.#nextId++, "post", ...request]));
  }

  /** The error of a failed posted call on `objectId`, if one arrived (taken once). */
  takePostError(objectId: number): Error | undefined {
    const error = this.#postErrors.get(objectId);
    if (error !== undefined) this.#postErrors.delete(objectId);
    return error;
  }

  /** Writes `bytes` in order after everything sent before, connecting first if needed. */
  #send(bytes: Buffer): Promise<void> {
    const conn = this.#conn;
    if (conn !== null && !conn.closed && this.#backlog.length === 0) {
      const written = conn.sendRaw(bytes);
      if (this.#pending.size > 0) this.#read(conn);
      return written;
    }
    return new Promise<void>((resolve, reject) => {
      this.#backlog.push({ bytes, resolve, reject });
      if (this.#backlog.length === 1) {
        this.#connection().then(
          (c) => {
            const backlog = this.#backlog;
            this.#backlog = [];
            for (const item of backlog) c.sendRaw(item.bytes).then(item.resolve, (error: unknown) => item.reject(this.asGone(error)));
            if (this.#pending.size > 0) this.#read(c);
          },
          (error: unknown) => {
            const gone = this.asGone(error);
            const backlog = this.#backlog;
            this.#backlog = [];
            for (const item of backlog) item.reject(gone);
            this.#broken(gone);
          },
        );
      }
    });
  }

  #connection(): Promise<Connection> {
    if (this.#conn !== null && !this.#conn.closed) return Promise.resolve(this.#conn);
    this.#connecting ??= Client(this.address, { authkey: this.authkey }).then(
      (conn) => {
        this.#conn = conn;
        this.#connecting = null;
        return conn;
      },
      (error: unknown) => {
        this.#connecting = null;
        throw error;
      },
    );
    return this.#connecting;
  }

  #read(conn: Connection): void {
    if (this.#reading) return;
    this.#reading = true;
    void this.#readLoop(conn);
  }

  async #readLoop(conn: Connection): Promise<void> {
    try {
      while (this.#pending.size > 0) {
        const frame = await conn.recvFrame("recv");
        const reply = decodeMessage(frame) as [number, number, unknown, unknown?];
        if (reply.length === 4 && reply[1] === ERROR && typeof reply[3] === "number") {
          this.#postErrors.set(reply[3], rebuildError(reply[2] as SerializedError));
          continue;
        }
        const pending = this.#pending.get(reply[0]);
        if (pending === undefined) continue;
        this.#pending.delete(reply[0]);
        pending.resolve([reply[1], reply[2]]);
      }
      this.#reading = false;
    } catch (error) {
      this.#reading = false;
      this.#broken(error);
    }
  }

  /**
   * `cause` as the `EOFError` saying the manager cannot be reached, when it means that (the
   * connection ended or broke, a connect was refused or found no socket, a write found the other
   * end closed); otherwise `cause` itself. @internal
   */
  asGone(cause: unknown): unknown {
    if (typeof cause !== "object" || cause === null || wrapped.has(cause)) return cause;
    const code = (cause as { code?: unknown }).code;
    if (!(cause instanceof EOFError || cause instanceof ProcessError || (typeof code === "string" && GONE.has(code)))) return cause;
    const error = new EOFError(`Cannot reach the manager at ${JSON.stringify(this.address)}: ${(cause as Error).message}`, { cause });
    wrapped.add(error);
    return error;
  }

  #broken(cause: unknown): void {
    const conn = this.#conn;
    this.#conn = null;
    conn?.close();
    if (channels.get(this.#key) === this) channels.delete(this.#key);
    const error = this.asGone(cause);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }

  /** Closes the connection (pending calls reject). */
  close(): void {
    this.#broken(new EOFError("the connection was closed"));
  }
}

const channels = new Map<string, Channel>();

/** Closes this thread's connection to the manager at `address`, if any. @internal */
export function closeChannels(address: Address): void {
  const prefix = `${addressKey(address)}\0`;
  for (const [key, channel] of channels) if (key.startsWith(prefix)) channel.close();
}

/** Encodes call arguments (shoal objects inside become markers); throws TypeError naming the part. */
export function encodeArgs(args: readonly unknown[], where: string): unknown {
  for (let i = 0; i < args.length; i++) {
    const type = typeof args[i];
    if ((type === "object" && args[i] !== null) || type === "function" || type === "symbol") return encodeForTransfer(args, "process", where);
  }
  return args; // primitives only: nothing to encode or refuse
}

/** Turns a reply into its value, or throws its error. PROXY replies are handed to `makeProxy`. */
export function settle(outcome: Outcome, makeProxy: (data: TokenData) => unknown): unknown {
  const [kind, value] = outcome;
  if (kind === RETURN) return needsDecoding(value) ? decodeFromTransferAsync(value, "process", { canImport: isShareableModule }) : value;
  if (kind === PROXY) return makeProxy(value as TokenData);
  if (kind === ERROR) throw rebuildError(value as SerializedError);
  throw new ProcessError("Cannot finish call: the manager abandoned it");
}

type ErrorClass = new (message: string) => Error;

const KNOWN: Record<string, ErrorClass> = {
  TypeError, RangeError, ReferenceError, SyntaxError, Error, ThreadError, BrokenBarrierError,
  Empty: Empty as unknown as ErrorClass, Full: Full as unknown as ErrorClass, ShutDown: ShutDown as unknown as ErrorClass,
};

/**
 * A remote error as a local one: errors of known classes (`TypeError`, `Empty`, `ThreadError`, …)
 * come back as themselves, with the remote stack as their `cause` (a `RemoteError`); others as a
 * `RemoteError` carrying the remote stack.
 */
export function rebuildError(data: SerializedError): Error {
  const remote = new RemoteError(`${data.name}: ${data.message}`, data.stack);
  const Known = Object.hasOwn(KNOWN, data.name) ? KNOWN[data.name] : undefined;
  if (Known === undefined) {
    remote.stack = `RemoteError: ${data.name}: ${data.message}\n--- remote stack ---\n${data.stack}`;
    return remote;
  }
  const error = new Known(data.message);
  for (const [key, value] of Object.entries(data.fields ?? {})) {
    if (key !== "name" && key !== "message" && key !== "stack" && key !== "__proto__") Object.defineProperty(error, key, { value, enumerable: true, writable: true, configurable: true });
  }
  Object.defineProperty(error, "cause", { value: remote, enumerable: false, writable: true, configurable: true });
  return error;
}
