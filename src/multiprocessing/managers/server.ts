/**
 * The manager's server (Python's `managers.Server`): accepts authenticated connections on a
 * `Listener`, holds the shared objects, and answers the requests of `protocol.ts`.
 *
 * One event loop serves every client: calls that wait (a `Queue.get`, a `Lock.acquire`) wait as
 * promises, so a connection carries many calls at once and a waiting call holds up nothing.
 *
 * Faults it survives, each ending only the connection at fault: a failed handshake (the Listener
 * refuses it before any byte is deserialized), an oversized frame (refused from its header), a
 * truncated frame (the connection ends), a frame that does not deserialize or is not a request
 * (the connection is closed), a call to anything not exposed (an error reply). When a connection
 * ends, its pending calls are abandoned and the locks it holds are released (`served/lock.ts`).
 *
 * Shared objects live as long as the server (JavaScript has no deterministic finalization for the
 * proxies to report their end); asking for the same object again (a factory that returns an
 * existing object) gives the same id.
 */
import { decodeMessage, encodeMessage } from "./wire.js";
import { randomBytes } from "node:crypto";
import { decodeFromTransfer, encodeForTransfer } from "../../internal/codec.js";
import { loadTask, isTaskRef, type TaskFunction } from "../../internal/task.js";
import { Listener, type Address } from "../listener.js";
import { AuthenticationError } from "../errors.js";
import type { Connection } from "../connection.js";
import { CANCELLED, DEFAULT_MANAGER_MAX_MESSAGE, ERROR, PROXY, RETURN, type ReplyKind, type SerializedError, type TokenData } from "./protocol.js";
import { isCallableName, publicMethodsOf, type TypeSpec } from "./registry.js";
import { CallCancelled, isContextual, kHints, type CallContext, type Session } from "./served/context.js";
import { ServedDict } from "./served/dict.js";
import { ServedList } from "./served/list.js";
import { ServedSet } from "./served/set.js";
import { ServedNamespace } from "./served/namespace.js";
import { ServedArray, ServedValue } from "./served/value.js";
import { BaseProxy, proxyLocation } from "./base-proxy.js";

/** Options of a `Server`. */
export interface ServerOptions {
  /** Where to listen: a unix socket path or `[host, port]`; default: a fresh unix socket path. */
  address?: Address | undefined;
  /** The key clients must prove they know. */
  authkey: Uint8Array;
  /** Largest request accepted, in bytes (default 64 MiB). */
  maxMessageSize?: number | undefined;
  /** Longest time a client may take to authenticate, in ms (default 20000). */
  handshakeTimeout?: number | undefined;
}

interface Entry {
  readonly typeid: string;
  readonly obj: object;
  readonly exposed: ReadonlySet<string>;
  readonly spec: TypeSpec;
  readonly contextual: boolean;
}

class ClientSession implements Session {
  readonly id: number;
  dropped = false;
  stopping = false;
  readonly pending = new Map<number, Call>();
  readonly #hooks = new Set<() => void>();

  constructor(id: number) {
    this.id = id;
  }

  onDrop(hook: () => void): () => void {
    if (this.dropped) {
      hook();
      return () => undefined;
    }
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  drop(stopping = false): void {
    if (this.dropped) return;
    this.dropped = true;
    this.stopping = stopping;
    for (const call of this.pending.values()) call.cancel();
    this.pending.clear();
    for (const hook of [...this.#hooks]) {
      try {
        hook();
      } catch (error) {
        process.stderr.write(`shoal manager: cleaning up connection ${this.id} failed: ${(error as Error)?.stack ?? String(error)}\n`);
      }
    }
    this.#hooks.clear();
  }
}

/**
 * The context of one call to a contextual object. Its AbortController is made only when the call
 * waits (most calls never do, and making one costs more than the call).
 */
class Call implements CallContext {
  readonly session: ClientSession;
  readonly thread: number;
  #controller: AbortController | undefined;
  #cancelled = false;

  constructor(session: ClientSession, thread: number) {
    this.session = session;
    this.thread = thread;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  cancel(): void {
    this.#cancelled = true;
    this.#controller?.abort();
  }
}

const OPS = new Set(["create", "call", "post", "value", "cancel", "hello", "shutdown"]);

/** Serves shared objects to authenticated clients. */
export class Server {
  readonly #registry: ReadonlyMap<string, TypeSpec>;
  readonly #listener: Listener;
  readonly #objects = new Map<number, Entry>();
  readonly #ids = new WeakMap<object, number>();
  readonly #connections = new Set<Connection>();
  readonly #sessions = new Set<ClientSession>();
  readonly #factories = new Map<string, Promise<TaskFunction>>();
  /** Names this server in the tokens it hands out, so it recognizes its own proxies. */
  readonly nonce = randomBytes(8).toString("hex");
  #nextId = 1;
  #nextSession = 1;
  #stopped = false;
  #done: Promise<void>;
  #finish!: () => void;
  #serving = false;

  constructor(registry: ReadonlyMap<string, TypeSpec>, options: ServerOptions) {
    this.#registry = registry;
    this.#listener = new Listener({
      address: options.address,
      authkey: options.authkey,
      maxMessageSize: options.maxMessageSize ?? DEFAULT_MANAGER_MAX_MESSAGE,
      handshakeTimeout: options.handshakeTimeout,
    });
    this.#done = new Promise<void>((resolve) => (this.#finish = resolve));
  }

  /** Resolves once listening (rejects if the address cannot be bound). */
  ready(): Promise<void> {
    return this.#listener.ready();
  }

  /** The address clients connect to (the real port once `ready()` resolved). */
  get address(): Address {
    return this.#listener.address;
  }

  /** Whether `shutdown()` was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Serves until `shutdown()` (a client's request, or this process's call) or until `signal`
   * aborts. Resolves then.
   */
  async serveForever(options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    const { signal } = options;
    if (this.#serving) throw new Error("Cannot serve: this server is already serving");
    this.#serving = true;
    signal?.throwIfAborted();
    const onAbort = (): void => this.shutdown();
    signal?.addEventListener("abort", onAbort, { once: true });
    await this.#listener.ready();
    void this.#acceptLoop();
    try {
      await this.#done;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Stops serving: closes the listener and every connection. */
  shutdown(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#listener.close();
    for (const conn of this.#connections) conn.close();
    for (const session of this.#sessions) session.drop(true);
    this.#finish();
  }

  /** The served object of one of this server's proxies, or undefined. @internal */
  localObject(proxy: BaseProxy): object | undefined {
    const location = proxyLocation(proxy);
    if (location.server !== this.nonce) return undefined;
    return this.#objects.get(location.id)?.obj;
  }

  /** Serves `obj` as a `typeid` object (or finds its id), returning the token data. @internal */
  adopt(typeid: string, obj: unknown): TokenData {
    const spec = this.#registry.get(typeid);
    if (spec === undefined) throw new TypeError(`Cannot serve an object as ${typeid}: no such type is registered`);
    if ((typeof obj !== "object" && typeof obj !== "function") || obj === null) {
      throw new TypeError(`Cannot serve ${typeid}: its factory returned ${obj === null ? "null" : typeof obj}, not an object`);
    }
    let id = this.#ids.get(obj);
    if (id === undefined || this.#objects.get(id)?.typeid !== typeid) {
      id = this.#nextId++;
      const exposed = spec.exposed === undefined ? publicMethodsOf(obj) : new Set(spec.exposed);
      this.#objects.set(id, { typeid, obj, exposed, spec, contextual: isContextual(obj) });
      this.#ids.set(obj, id);
    }
    const entry = this.#objects.get(id)!;
    const hints = (obj as { [kHints]?: () => Record<string, string | number | boolean> })[kHints]?.();
    return { typeid, id, exposed: spec.exposed ?? [...entry.exposed], proxy: spec.proxy, server: this.nonce, hints };
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#stopped) {
      let conn: Connection;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (error instanceof AuthenticationError) continue; // refused; keep serving the others
        if (this.#stopped) return;
        process.stderr.write(`shoal manager: cannot accept connections: ${(error as Error)?.message ?? String(error)}\n`);
        this.shutdown();
        return;
      }
      void this.#serveConnection(conn);
    }
  }

  async #serveConnection(conn: Connection): Promise<void> {
    const session = new ClientSession(this.#nextSession++);
    this.#connections.add(conn);
    this.#sessions.add(session);
    try {
      for (;;) {
        let frame: Buffer;
        try {
          frame = await conn.recvFrame("recv");
        } catch {
          return; // EOF, a broken or oversized frame: this connection is over
        }
        let request: unknown;
        try {
          request = decodeMessage(frame);
        } catch {
          return; // not a message of ours: drop the connection
        }
        if (!isRequest(request)) return;
        this.#handle(conn, session, request);
      }
    } finally {
      conn.close();
      session.drop();
      this.#connections.delete(conn);
      this.#sessions.delete(session);
    }
  }

  #handle(conn: Connection, session: ClientSession, request: readonly unknown[]): void {
    const callId = request[0] as number;
    const op = request[1] as string;
    switch (op) {
      case "call":
        this.#call(conn, session, callId, request[2], request[3], request[4], request[5], false);
        return;
      case "post":
        this.#call(conn, session, callId, request[2], request[3], request[4], request[5], true);
        return;
      case "create":
        this.#create(conn, callId, request[2], request[3]);
        return;
      case "value":
        this.#value(conn, callId, request[2]);
        return;
      case "cancel":
        session.pending.get(callId)?.cancel();
        return;
      case "hello":
        this.#reply(conn, callId, RETURN, { typeids: [...this.#registry.keys()], server: this.nonce });
        return;
      case "shutdown":
        this.#reply(conn, callId, RETURN, undefined);
        setImmediate(() => this.shutdown());
        return;
    }
  }

  /**
   * Runs a method. A posted call (`post`) is answered only when it fails, with the object id, so
   * that the client can raise the error at its next call on that object.
   */
  #call(conn: Connection, session: ClientSession, callId: number, objectId: unknown, method: unknown, rawArgs: unknown, thread: unknown, posted: boolean): void {
    const fail = posted ? (error: unknown) => this.#failPosted(conn, callId, objectId, error) : (error: unknown) => this.#fail(conn, callId, error);
    const entry = typeof objectId === "number" ? this.#objects.get(objectId) : undefined;
    if (entry === undefined) {
      fail(new ReferenceError(`Cannot call method: no shared object has id ${String(objectId)}`));
      return;
    }
    if (typeof method !== "string" || !isCallableName(method) || !entry.exposed.has(method)) {
      const name = typeof method === "string" ? JSON.stringify(method.slice(0, 64)) : typeof method;
      fail(new TypeError(`Cannot call method ${name} of ${entry.typeid}: it is not exposed`));
      return;
    }
    const fn = (entry.obj as Record<string, unknown>)[method];
    if (typeof fn !== "function") {
      fail(new TypeError(`Cannot call method ${JSON.stringify(method)} of ${entry.typeid}: it is not a function`));
      return;
    }
    let args: unknown[];
    try {
      args = this.#decodeArgs(rawArgs);
    } catch (error) {
      fail(error);
      return;
    }
    const target = entry.spec.methodToTypeid?.[method];
    let result: unknown;
    let call: Call | undefined;
    try {
      if (entry.contextual) {
        call = new Call(session, typeof thread === "number" ? thread : 0);
        result = (fn as (...a: unknown[]) => unknown).call(entry.obj, call, ...args);
      } else {
        result = (fn as (...a: unknown[]) => unknown).apply(entry.obj, args);
      }
    } catch (error) {
      fail(error);
      return;
    }
    if (!(result instanceof Promise)) {
      if (!posted) this.#answer(conn, callId, result, target);
      return;
    }
    if (call !== undefined && !posted) session.pending.set(callId, call);
    result.then(
      (value) => {
        session.pending.delete(callId);
        if (!posted) this.#answer(conn, callId, value, target);
      },
      (error: unknown) => {
        session.pending.delete(callId);
        if (error instanceof CallCancelled) {
          if (!posted) this.#reply(conn, callId, CANCELLED, undefined);
        }
        else fail(error);
      },
    );
  }

  #answer(conn: Connection, callId: number, value: unknown, typeid: string | undefined): void {
    if (typeid === undefined) {
      this.#reply(conn, callId, RETURN, value);
      return;
    }
    try {
      this.#reply(conn, callId, PROXY, this.adopt(typeid, value));
    } catch (error) {
      this.#fail(conn, callId, error);
    }
  }

  #create(conn: Connection, callId: number, typeid: unknown, rawArgs: unknown): void {
    const spec = typeof typeid === "string" ? this.#registry.get(typeid) : undefined;
    if (spec === undefined || spec.factory === undefined) {
      const name = typeof typeid === "string" ? JSON.stringify(typeid.slice(0, 64)) : typeof typeid;
      this.#fail(conn, callId, new TypeError(`Cannot create ${name}: no such type is registered with a factory on this server`));
      return;
    }
    void (async () => {
      try {
        let args = this.#decodeArgs(rawArgs);
        if (spec.unwrapArgs === true) args = args.map((arg) => (arg instanceof BaseProxy ? (this.localObject(arg) ?? arg) : arg));
        const factory = await this.#factory(spec);
        const obj = await (factory as (...a: unknown[]) => unknown)(...args);
        this.#reply(conn, callId, PROXY, this.adopt(spec.typeid, obj));
      } catch (error) {
        this.#fail(conn, callId, error);
      }
    })();
  }

  #value(conn: Connection, callId: number, objectId: unknown): void {
    const entry = typeof objectId === "number" ? this.#objects.get(objectId) : undefined;
    if (entry === undefined) {
      this.#fail(conn, callId, new ReferenceError(`Cannot get value: no shared object has id ${String(objectId)}`));
      return;
    }
    const obj = entry.obj;
    let value: unknown;
    if (obj instanceof ServedDict || obj instanceof ServedSet) value = obj.copy();
    else if (obj instanceof ServedList || obj instanceof ServedArray) value = obj.toArray();
    else if (obj instanceof ServedNamespace) value = obj.toObject();
    else if (obj instanceof ServedValue) value = obj.get();
    else if (entry.contextual) {
      this.#fail(conn, callId, new TypeError(`Cannot get the value of a ${entry.typeid}: it cannot be copied`));
      return;
    } else value = obj;
    this.#reply(conn, callId, RETURN, value);
  }

  #factory(spec: TypeSpec): Promise<TaskFunction> {
    const factory = spec.factory!;
    if (typeof factory === "function") return Promise.resolve(factory);
    let loaded = this.#factories.get(spec.typeid);
    if (loaded === undefined) {
      loaded = isTaskRef(factory) ? loadTask(factory) : Promise.reject(new TypeError(`Cannot create ${spec.typeid}: its factory is not a function`));
      this.#factories.set(spec.typeid, loaded);
    }
    return loaded;
  }

  #decodeArgs(raw: unknown): unknown[] {
    const args = decodeFromTransfer(raw, "process");
    if (!Array.isArray(args)) throw new TypeError("Cannot call: arguments must be an array");
    return args;
  }

  #failPosted(conn: Connection, callId: number, objectId: unknown, error: unknown): void {
    if (!conn.closed) conn.sendRaw(encodeMessage([callId, ERROR, serializeError(error), objectId])).catch(() => undefined);
  }

  #fail(conn: Connection, callId: number, error: unknown): void {
    this.#reply(conn, callId, ERROR, serializeError(error));
  }

  #reply(conn: Connection, callId: number, kind: ReplyKind, value: unknown): void {
    if (conn.closed) return;
    let bytes: Buffer;
    try {
      bytes = encodeMessage(value === undefined ? [callId, kind] : [callId, kind, kind === RETURN ? encodeForTransfer(value, "process", "Manager reply") : value]);
    } catch (error) {
      bytes = encodeMessage([callId, ERROR, serializeError(error)]);
    }
    conn.sendRaw(bytes).catch(() => undefined);
  }
}

function isRequest(value: unknown): value is readonly unknown[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.length <= 6 &&
    typeof value[0] === "number" &&
    Number.isSafeInteger(value[0]) &&
    typeof value[1] === "string" &&
    OPS.has(value[1])
  );
}

/** An error as it crosses to the client. */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error), stack: String(error), fields: undefined };
  let fields: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
    if (value === null || ["string", "number", "boolean", "bigint", "undefined"].includes(typeof value)) (fields ??= {})[key] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack ?? `${error.name}: ${error.message}`, fields };
}
