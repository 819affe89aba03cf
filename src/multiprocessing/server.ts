/**
 * The object server: objects living in one process (their owner), called from other processes over
 * authenticated connections. It is the core of CPython's `managers.py` (`Server`, `dispatch`, the
 * `#RETURN/#ERROR/#PROXY` replies), made reusable: shoal's process-shared queues and locks live in
 * their creator's server, and a `Manager` serves its objects with one of its own.
 *
 * API (stable; `Manager`/`BaseManager` build on it):
 *
 *   const server = new ObjectServer({ authkey, address? });   // listens (unix socket by default)
 *   const token = server.register("Queue", object, { exposed?, dispatch? });
 *   //  token = { typeid: "Queue", address, id }: plain data, sent to other processes
 *   server.lookup(token.id)               // the served entry
 *   await server.callLocal(token.id, "get", [], { signal })   // the owner's own calls, no socket
 *   server.unregister(token.id)
 *   server.close()
 *
 *   // in any process (client.ts):
 *   const client = ObjectClient.for(token.address, authkey);
 *   await client.call(token.id, "get", [arg], { signal });
 *
 * Dispatch: by default a call runs `object[method](...args)` when `method` is in `exposed` (default:
 * every public method of the object's class chain, nothing starting with `_` or `#`). A `dispatch`
 * function replaces that and also gets the `Caller` (which process calls; `onDisconnect` hooks to
 * undo what a process that dies leaves behind, e.g. a lock it held) and an `AbortSignal` that fires
 * when the caller cancels. A result wrapped in `new ProxyReturn(token)` is replied as a proxy.
 *
 * Wire (one connection per client process, multiplexed by request id; see `protocol.ts`):
 *   request  { id, target, method, args }       target "" addresses the server itself ("#cancel")
 *   reply    { id, kind: "return", value } | { id, kind: "error", error } | { id, kind: "proxy", token }
 *
 * Faults: a connection that sends a broken frame (garbage, oversized, cut short) is dropped with a
 * warning (`NODE_DEBUG=shoal`) and the server keeps serving the others; a client that disconnects
 * gets its pending calls cancelled and its `onDisconnect` hooks run.
 */
import { debuglog } from "node:util";
import { Listener, type Address } from "./listener.js";
import type { Connection } from "./connection.js";
import { dumps, loadsAsync } from "./serialize.js";
import { errorToWire, type Reply, type Request, type Token } from "./protocol.js";

export type { Token } from "./protocol.js";

const debug = debuglog("shoal");

/** Who is calling: one client process (or the owner itself, id 0). */
export interface Caller {
  /** Unique per connection in this server; 0 for the owner's own calls. */
  readonly id: number;
  /** Runs `hook` when the caller's connection ends (the process exited, or crashed). */
  onDisconnect(hook: () => void): void;
  /** Whether the caller is still connected. */
  readonly connected: boolean;
}

/** Custom dispatch of a served object. */
export type Dispatch = (method: string, args: unknown[], caller: Caller, signal: AbortSignal) => unknown;

/** Options of `ObjectServer.register`. */
export interface RegisterOptions {
  /** Method names clients may call (default: the public methods). Ignored with `dispatch`. */
  exposed?: readonly string[] | undefined;
  /** Handles every call itself (method name, arguments, caller, cancellation). */
  dispatch?: Dispatch | undefined;
}

/** A served object. */
export interface ServedEntry {
  readonly typeid: string;
  readonly object: object;
  readonly dispatch: Dispatch;
}

/** Returned by a dispatch to reply with a proxy to another served object. */
export class ProxyReturn {
  constructor(readonly token: Token) {}
}

/** Options of `new ObjectServer`. */
export interface ObjectServerOptions {
  /** Key clients must prove they know. */
  authkey: Uint8Array;
  /** Where to listen (default: a fresh unix socket in this process's socket dir). */
  address?: Address | undefined;
}

let nextCallerId = 1;

class ConnectionCaller implements Caller {
  readonly id = nextCallerId++;
  #hooks: Array<() => void> = [];
  connected = true;
  onDisconnect(hook: () => void): void {
    if (!this.connected) hook();
    else this.#hooks.push(hook);
  }
  disconnect(): void {
    this.connected = false;
    const hooks = this.#hooks;
    this.#hooks = [];
    for (const hook of hooks) {
      try {
        hook();
      } catch (error) {
        debug("disconnect hook failed: %s", (error as Error)?.stack);
      }
    }
  }
}

/** The owner's own calls. */
const OWNER: Caller = { id: 0, connected: true, onDisconnect: () => undefined };

/** Serves objects to other processes. */
export class ObjectServer {
  readonly #listener: Listener;
  readonly #entries = new Map<string, ServedEntry>();
  #nextId = 1;
  #closed = false;
  readonly #connections = new Set<Connection>();

  constructor(options: ObjectServerOptions) {
    this.#listener = new Listener({ address: options.address, authkey: options.authkey });
    void this.#acceptLoop();
  }

  /** Where clients connect. */
  get address(): Address {
    return this.#listener.address;
  }

  /** Resolves once the server is bound. */
  ready(): Promise<void> {
    return this.#listener.ready();
  }

  /** Serves `object` under a new id; returns the token other processes use to reach it. */
  register(typeid: string, object: object, options: RegisterOptions = {}): Token {
    const id = `${typeid}-${this.#nextId++}`;
    const dispatch = options.dispatch ?? defaultDispatch(object, options.exposed);
    this.#entries.set(id, { typeid, object, dispatch });
    return { typeid, address: this.address, id };
  }

  /** Stops serving `id`. */
  unregister(id: string): void {
    this.#entries.delete(id);
  }

  /** The entry served under `id`, if any. */
  lookup(id: string): ServedEntry | undefined {
    return this.#entries.get(id);
  }

  /** Calls a served object from its owner process (no socket, same semantics). */
  async callLocal(id: string, method: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new ReferenceError(`Cannot call ${method}: no object ${id} is served here`);
    const result = entry.dispatch(method, args, OWNER, signal ?? new AbortController().signal);
    if (!(result instanceof Promise)) return result;
    // The owner waiting on its own object (a get, an acquire) must keep its process alive, as the
    // socket of a remote caller would.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    try {
      return await result;
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Stops accepting and drops every client connection. */
  close(): void {
    this.#closed = true;
    this.#listener.close();
    for (const conn of this.#connections) conn.close();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Connection;
      try {
        conn = await this.#listener.accept({ holdsProcess: false });
      } catch (error) {
        if (this.#closed || this.#listener.closed) return;
        debug("object server: refused a connection: %s", (error as Error)?.message);
        continue;
      }
      void this.#serve(conn);
    }
  }

  /** Serves one client connection until it ends. */
  async #serve(conn: Connection): Promise<void> {
    this.#connections.add(conn);
    conn.holdsProcess = false;
    const caller = new ConnectionCaller();
    const inFlight = new Map<number, AbortController>();
    try {
      for (;;) {
        let request: Request;
        try {
          request = (await loadsAsync(await conn.recvFrame("recv"))) as Request;
        } catch (error) {
          if (!(error instanceof Error && error.name === "EOFError") && !conn.closed) {
            debug("object server: dropping a client after a broken message: %s", (error as Error)?.message);
          }
          return;
        }
        if (request.target === "" && request.method === "#cancel") {
          inFlight.get(request.args[0] as number)?.abort(new DOMException("The call was cancelled by its caller", "AbortError"));
          continue;
        }
        const controller = new AbortController();
        inFlight.set(request.id, controller);
        void this.#dispatch(request, caller, controller.signal).then((reply) => {
          inFlight.delete(request.id);
          if (conn.closed) return;
          let bytes: Buffer;
          try {
            bytes = dumps(reply, `${request.method} result`);
          } catch (error) {
            bytes = dumps({ id: request.id, kind: "error", error: errorToWire(error) } satisfies Reply, "error");
          }
          conn.sendRaw(bytes).catch(() => undefined);
        });
      }
    } finally {
      this.#connections.delete(conn);
      conn.close();
      for (const controller of inFlight.values()) controller.abort(new DOMException("The caller disconnected", "AbortError"));
      caller.disconnect();
    }
  }

  async #dispatch(request: Request, caller: Caller, signal: AbortSignal): Promise<Reply> {
    const entry = this.#entries.get(request.target);
    try {
      if (entry === undefined) throw new ReferenceError(`Cannot call ${request.method}: no object ${request.target} is served here`);
      const value = await entry.dispatch(request.method, request.args, caller, signal);
      if (value instanceof ProxyReturn) return { id: request.id, kind: "proxy", token: value.token };
      return { id: request.id, kind: "return", value };
    } catch (error) {
      return { id: request.id, kind: "error", error: errorToWire(error) };
    }
  }
}

function defaultDispatch(object: object, exposed: readonly string[] | undefined): Dispatch {
  const allowed = exposed === undefined ? publicMethods(object) : new Set(exposed);
  return (method, args) => {
    if (!allowed.has(method)) throw new TypeError(`Cannot call ${method}: it is not exposed by ${object.constructor?.name ?? "the object"}`);
    const fn = (object as Record<string, unknown>)[method];
    if (typeof fn !== "function") throw new TypeError(`Cannot call ${method}: it is not a method`);
    return (fn as (...a: unknown[]) => unknown).apply(object, args);
  };
}

/** The public method names of an object's class chain (Python's `public_methods`). */
export function publicMethods(object: object): Set<string> {
  const names = new Set<string>();
  for (let proto = object as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name.startsWith("_")) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor !== undefined && typeof descriptor.value === "function") names.add(name);
    }
  }
  return names;
}
