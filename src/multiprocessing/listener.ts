/**
 * `Listener` and `Client` (Python's `multiprocessing.connection.Listener` / `Client`): connections
 * between processes that did not start each other, over a unix socket or TCP.
 *
 * API (the Manager and the object server build on it):
 *
 *   const listener = new Listener({ address?, family?, backlog?, authkey?, maxMessageSize? });
 *   await listener.ready();              // bound (needed only to read `address` of a TCP port 0)
 *   listener.address                     // "/tmp/shoal-123-abc/listener-1-f00.sock" or ["127.0.0.1", 40123]
 *   const conn = await listener.accept({ timeout?, signal? });
 *   listener.lastAccepted                // the peer's address ([host, port] for TCP, null for unix)
 *   listener.close(); await using listener = ...
 *
 *   const conn = await Client(address, { family?, authkey?, maxMessageSize?, timeout?, signal? });
 *
 * Addresses: a string is a unix socket path (the default family on Linux, as in Python), `[host, port]`
 * is TCP. Without `address` the listener takes a fresh path in this process's private socket dir.
 *
 * With an `authkey`, every connection runs the HMAC challenge both ways (`auth.ts`) before `accept()`
 * hands it out and before `Client()` resolves; nothing is deserialized before that. The listener
 * authenticates connections concurrently as they arrive: a failed, garbled, oversized or stalled
 * handshake makes the next `accept()` reject with an `AuthenticationError` saying what happened, and
 * the listener keeps serving the connections after it.
 */
import { createServer, connect, type Server, type Socket, type AddressInfo } from "node:net";
import { unlinkSync } from "node:fs";
import { Connection, kWhenReadable, type ConnectionOptions } from "./connection.js";
import { authenticate, toAuthkey } from "./auth.js";
import { AuthenticationError, ProcessError, TimeoutError } from "./errors.js";
import { checkSocketPathLength, socketPath } from "./socket-dir.js";
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";

/** A unix socket path, or a TCP `[host, port]`. */
export type Address = string | readonly [host: string, port: number];

/** Python's address families: `AF_UNIX` (a path), `AF_INET`/`AF_INET6` (`[host, port]`), `AF_PIPE` (Windows). */
export type Family = "AF_UNIX" | "AF_INET" | "AF_INET6" | "AF_PIPE";

/** Options of `new Listener`. */
export interface ListenerOptions extends Pick<ConnectionOptions, "maxMessageSize"> {
  /** Where to listen; default: a fresh unix socket path (or `["127.0.0.1", 0]` for `AF_INET`). */
  address?: Address | undefined;
  /** The address family; default: deduced from `address`. */
  family?: Family | undefined;
  /** Length of the kernel's queue of pending connections (default: Node's, 511). */
  backlog?: number | undefined;
  /** When given, peers must prove they know it (HMAC challenge both ways). */
  authkey?: Uint8Array | string | undefined;
  /** Longest time a connection may take to authenticate, in milliseconds (default 20000). */
  handshakeTimeout?: number | undefined;
}

/** Options of `Listener.accept`. */
export interface AcceptOptions extends WaitOptions {
  /**
   * Whether waiting keeps the process alive (default true). A server that should not hold its
   * process open by itself (shoal's object server) passes false.
   */
  holdsProcess?: boolean | undefined;
}

/** Options of `Client`. */
export interface ClientOptions extends Pick<ConnectionOptions, "maxMessageSize">, WaitOptions {
  family?: Family | undefined;
  authkey?: Uint8Array | string | undefined;
}

const DEFAULT_HANDSHAKE_TIMEOUT = 20_000;

type Accepted = { conn: Connection; peer: Address | null } | { error: Error };

/** Checks an address, returning it in canonical form. */
export function checkAddress(address: unknown, where: string): Address {
  if (typeof address === "string" && address !== "") {
    if (!address.startsWith("\\\\.\\pipe\\")) checkSocketPathLength(address, where);
    return address;
  }
  if (Array.isArray(address) && address.length === 2 && typeof address[0] === "string" && Number.isInteger(address[1])) {
    const port = address[1] as number;
    if (port < 0 || port > 65535) throw new RangeError(`${where}: port must be between 0 and 65535: got ${port}`);
    return [address[0], port];
  }
  throw new TypeError(`${where} must be a unix socket path or a [host, port] pair: got ${describe(address)}`);
}

function familyOf(address: Address): Family {
  if (typeof address !== "string") return address[0].includes(":") ? "AF_INET6" : "AF_INET";
  return address.startsWith("\\\\.\\pipe\\") ? "AF_PIPE" : "AF_UNIX";
}

function checkFamily(address: Address, family: Family | undefined, where: string): void {
  if (family === undefined) return;
  const actual = familyOf(address);
  const compatible = family === actual || (family === "AF_INET" && actual === "AF_INET6") || (family === "AF_INET6" && actual === "AF_INET");
  if (!compatible) throw new TypeError(`${where}: address ${JSON.stringify(address)} does not belong to family ${family}`);
}

/** Accepts connections from other processes. */
export class Listener implements AsyncDisposable {
  readonly #server: Server;
  readonly #authkey: Buffer | undefined;
  readonly #maxMessageSize: number | undefined;
  readonly #handshakeTimeout: number;
  readonly #ready: Promise<void>;
  /** Rejects `#ready` while the listener is not bound yet (close() then ends the wait for it). */
  #notBound: ((error: Error) => void) | undefined;
  #address: Address;
  #accepted: Accepted[] = [];
  #waiters: Array<() => void> = [];
  #lastAccepted: Address | null = null;
  #closed = false;
  #failure: Error | null = null;
  readonly #pending = new Set<Socket>();

  constructor(options: ListenerOptions = {}) {
    const given = options.address === undefined ? undefined : checkAddress(options.address, "Listener: address");
    const family = options.family;
    this.#address = given ?? (family === "AF_INET" ? ["127.0.0.1", 0] : family === "AF_INET6" ? ["::1", 0] : socketPath("listener"));
    checkFamily(this.#address, family, "Listener");
    this.#authkey = toAuthkey(options.authkey, "Listener: authkey");
    this.#maxMessageSize = options.maxMessageSize;
    this.#handshakeTimeout = checkTimeout(options.handshakeTimeout, "Listener: handshakeTimeout") ?? DEFAULT_HANDSHAKE_TIMEOUT;
    if (options.backlog !== undefined && (!Number.isInteger(options.backlog) || options.backlog < 0)) {
      throw new RangeError(`Listener: backlog must be a non-negative integer: got ${options.backlog}`);
    }
    this.#server = createServer({ pauseOnConnect: true }, (socket) => this.#onConnection(socket));
    this.#server.unref();
    const address = this.#address;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#notBound = reject;
      this.#server.once("error", reject);
      const onListening = (): void => {
        this.#server.off("error", reject);
        this.#server.on("error", (error) => this.#fail(error));
        if (typeof address !== "string") {
          const info = this.#server.address() as AddressInfo;
          this.#address = [address[0], info.port];
        }
        this.#notBound = undefined;
        resolve();
      };
      if (typeof address === "string") this.#server.listen({ path: address, backlog: options.backlog }, onListening);
      else this.#server.listen({ host: address[0], port: address[1], backlog: options.backlog }, onListening);
    });
    this.#ready.catch((error: Error) => this.#fail(error));
  }

  /** Resolves once the listener is bound (rejects if it cannot bind, e.g. `EADDRINUSE`). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** The address peers connect to. For TCP port 0, the real port is known after `ready()`. */
  get address(): Address {
    return this.#address;
  }

  /** The address of the peer of the last accepted connection (null for unix sockets). */
  get lastAccepted(): Address | null {
    return this.#lastAccepted;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The next connection, authenticated when the listener has an `authkey`. Rejects
   * `AuthenticationError` for a peer that failed the handshake; the next call carries on with the
   * following connection.
   */
  async accept(options: AcceptOptions = {}): Promise<Connection> {
    checkOptions(options, "Listener.accept");
    const timeout = checkTimeout(options.timeout, "Listener.accept: timeout");
    const signal = checkSignal(options.signal, "Listener.accept: signal");
    signal?.throwIfAborted();
    if (this.#closed) throw new ProcessError("Cannot accept: listener is closed");
    await this.#ready;
    // close() may have come while this call waited to be bound: nothing would wake it then.
    if (this.#accepted.length === 0 && !this.#closed) await this.#waitAccepted(timeout, signal, options.holdsProcess ?? true);
    const next = this.#accepted.shift();
    if (next === undefined) {
      if (this.#closed) throw new ProcessError("Cannot accept: listener is closed");
      throw this.#failure ?? new ProcessError("Cannot accept: listener stopped");
    }
    if ("error" in next) throw next.error;
    this.#lastAccepted = next.peer;
    return next.conn;
  }

  /** Stops listening. Connections already accepted stay open; those not yet accepted are closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    if (typeof this.#address === "string" && familyOf(this.#address) === "AF_UNIX") {
      try {
        unlinkSync(this.#address);
      } catch {
        // Already gone, or never bound.
      }
    }
    for (const socket of this.#pending) socket.destroy();
    for (const item of this.#accepted) if ("conn" in item) item.conn.close();
    this.#accepted = [];
    // Closed before it was bound: an accept() or ready() waiting for that would wait forever.
    this.#notBound?.(new ProcessError("Cannot accept: listener is closed"));
    this.#wake();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** A promise settling when `accept` would not wait. @internal (for `wait()`) */
  [kWhenReadable](): Promise<void> {
    if (this.#accepted.length > 0 || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #waitAccepted(timeout: number | undefined, signal: AbortSignal | undefined, holdsProcess: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#server.unref();
        resolve();
      };
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        clearTimeout(timer);
        this.#server.unref();
        reject(signal!.reason);
      };
      // Aborted while the call waited for the listener to be bound: no abort event comes again.
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== done);
          this.#server.unref();
          reject(new TimeoutError(`Cannot accept: no connection within ${timeout} ms`));
        }, timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      if (holdsProcess) this.#server.ref();
      else timer?.unref();
      this.#waiters.push(done);
    });
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    // A socket accepted here and later handed to a child must not drag the server along with it.
    (socket as unknown as { server: unknown }).server = null;
    const peer: Address | null = socket.remoteAddress !== undefined && socket.remotePort !== undefined ? [socket.remoteAddress, socket.remotePort] : null;
    if (peer !== null) socket.setNoDelay(true);
    const conn = new Connection(socket, { maxMessageSize: this.#maxMessageSize });
    const authkey = this.#authkey;
    if (authkey === undefined) {
      this.#push({ conn, peer });
      return;
    }
    this.#pending.add(socket);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, this.#handshakeTimeout);
    timer.unref();
    const who = peer === null ? "a peer" : `${peer[0]}:${peer[1]}`;
    authenticate(conn, authkey, true)
      .then(
        () => this.#push({ conn, peer }),
        (error: Error) => {
          conn.close();
          const reason = timedOut ? `it did not complete the handshake within ${this.#handshakeTimeout} ms` : error.message;
          this.#push({ error: new AuthenticationError(`Listener refused ${who}: ${reason}`, { cause: error }) });
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.#pending.delete(socket);
      });
  }

  #push(item: Accepted): void {
    if (this.#closed) {
      if ("conn" in item) item.conn.close();
      return;
    }
    this.#accepted.push(item);
    this.#wake();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Connects to a `Listener` at `address` and, with an `authkey`, runs the handshake both ways.
 * Rejects `AuthenticationError` when either side refuses the other.
 */
export async function Client(address: Address, options: ClientOptions = {}): Promise<Connection> {
  const target = checkAddress(address, "Client: address");
  checkFamily(target, options.family, "Client");
  const authkey = toAuthkey(options.authkey, "Client: authkey");
  checkOptions(options, "Client");
  const timeout = checkTimeout(options.timeout, "Client: timeout");
  const signal = checkSignal(options.signal, "Client: signal");
  const started = performance.now();
  const socket = await connectSocket(target, timeout, signal);
  const conn = new Connection(socket, { maxMessageSize: options.maxMessageSize });
  if (authkey !== undefined) {
    // The timeout covers the handshake too: a listener that never answers must not hang us.
    let timedOut = false;
    const timer = timeout === undefined ? undefined : setTimeout(() => ((timedOut = true), conn.close()), Math.max(0, timeout - (performance.now() - started)));
    const onAbort = (): void => conn.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await authenticate(conn, authkey, false);
    } catch (error) {
      conn.close();
      if (timedOut) throw new TimeoutError(`Cannot connect to ${JSON.stringify(target)}: no handshake within ${timeout} ms`, { cause: error });
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
  return conn;
}

/** A connected socket to `address`, created paused (nothing is read until asked). @internal */
export function connectSocket(address: Address, timeout?: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = typeof address === "string" ? connect({ path: address }) : connect({ host: address[0], port: address[1], noDelay: true });
    socket.pause();
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(signal!.reason as Error);
    if (timeout !== undefined) {
      // A TimeoutError, as every other wait of the module gives at its timeout.
      timer = setTimeout(() => fail(new TimeoutError(`Cannot connect to ${JSON.stringify(address)}: no answer within ${timeout} ms`)), timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", fail);
    socket.once("connect", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", fail);
      resolve(socket);
    });
  });
}
