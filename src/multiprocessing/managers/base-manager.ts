/**
 * `BaseManager` (Python's `multiprocessing.managers.BaseManager`): a server holding shared objects
 * of registered types, and the client side that creates them and hands out proxies.
 *
 *   class QueueManager extends BaseManager {}
 *   QueueManager.register("getQueue", task(import.meta.url, "theQueue"), { exposed: ["put", "get"] });
 *
 *   // serve in this process:
 *   const m = new QueueManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 *   await m.getServer().serveForever();
 *   // or in a server process of its own, ended with shutdown() or when this process ends:
 *   await using m = await new QueueManager({ authkey }).start();
 *   // elsewhere:
 *   const m = await new QueueManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" }).connect();
 *   const q = await m.create<Queue<number>>("getQueue");      // an AutoProxy: await q.put(1)
 *
 * The server listens on a unix socket in a private directory by default, and TCP addresses with
 * an empty host (Python's `""`) mean loopback: only `"0.0.0.0"` or `"::"` listen on every interface.
 * The authkey defaults to the current process's (`currentProcess().authkey`, inherited by children).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { toTaskRef, isTaskRef, type TaskFunction, type TaskRef } from "../../internal/task.js";
import { checkTimeout, describe } from "../../internal/options.js";
import { checkAddress, type Address } from "../listener.js";
import { toAuthkey } from "../auth.js";
import { currentProcess } from "../process.js";
import { ProcessError } from "../errors.js";
import { Server } from "./server.js";
import { Channel, closeChannels, encodeArgs, settle } from "./client.js";
import { checkExposed, checkMethodToTypeid, checkTypeid, type Factory, type TypeSpec } from "./registry.js";
import { makeProxy, registerProxyType, type BaseProxy, type ProxyClass } from "./base-proxy.js";
import type { ServerStart, ServerStarted } from "./server-main.js";
import "./proxy-codec.js";
import { getExecutable } from "../executable.js";
import { inheritedExecArgv } from "../../internal/inherited-exec-argv.js";

const SERVER_MAIN = fileURLToPath(new URL("./server-main.js", import.meta.url));

/** Options of a manager. */
export interface BaseManagerOptions {
  /**
   * Where the server listens (or, for `connect()`, where it is): a unix socket path or
   * `[host, port]`. Default for `start()`: a fresh unix socket path in a private directory.
   */
  address?: Address | undefined;
  /** The shared key (default: the current process's authkey). */
  authkey?: Uint8Array | string | undefined;
  /** How long `shutdown()` waits for the server process before terminating it, in ms (default 1000). */
  shutdownTimeout?: number | undefined;
  /** Largest message the server accepts, in bytes (default 64 MiB). */
  maxMessageSize?: number | undefined;
}

/** Options of `register`. */
export interface RegisterOptions {
  /** Makes the shared object. For `start()` it must be loadable in the server process: an exported function, a self-contained one, or `task(url, name)`. */
  factory?: Factory | undefined;
  /** The methods clients may call (default: the object's public methods). */
  exposed?: readonly string[] | undefined;
  /** Methods whose results are served as new shared objects of the given typeid. */
  methodToTypeid?: Readonly<Record<string, string>> | undefined;
  /** The proxy class clients build (default AutoProxy). */
  proxytype?: ProxyClass | undefined;
  /** Add a method named after the typeid to the manager class (default true). */
  createMethod?: boolean | undefined;
}

/** Options of `start()`. */
export interface StartOptions {
  /** Runs in the server process before it serves. */
  initializer?: TaskFunction | TaskRef | undefined;
  initargs?: readonly unknown[] | undefined;
}

type State = "initial" | "started" | "connected" | "shutdown";

const registries = new WeakMap<object, Map<string, TypeSpec>>();

function registryOf(cls: object): Map<string, TypeSpec> {
  let registry = registries.get(cls);
  if (registry === undefined) {
    const parent = Object.getPrototypeOf(cls) as object | null;
    registry = new Map(parent !== null && parent !== Function.prototype ? registryOf(parent) : []);
    registries.set(cls, registry);
  }
  return registry;
}

function loopback(address: Address): Address {
  if (typeof address === "string") return address;
  return address[0] === "" ? ["127.0.0.1", address[1]] : address;
}

let exitHook = false;
const liveServers = new Set<ChildProcess>();

function killServersAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const child of liveServers) child.kill("SIGTERM");
  });
}

/** A manager: the owner of a server of shared objects, or a client of one. */
export class BaseManager implements AsyncDisposable {
  #address: Address | undefined;
  readonly #authkey: Buffer;
  readonly #shutdownTimeout: number;
  readonly #maxMessageSize: number | undefined;
  #state: State = "initial";
  #child: ChildProcess | null = null;
  #exited: Promise<void> | null = null;
  #server: Server | null = null;

  constructor(options: BaseManagerOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`BaseManager: options must be an object: got ${describe(options)}`);
    this.#address = options.address === undefined ? undefined : loopback(checkAddress(options.address, "BaseManager: address"));
    this.#authkey = toAuthkey(options.authkey, "BaseManager: authkey") ?? Buffer.from(currentProcess().authkey);
    this.#shutdownTimeout = checkTimeout(options.shutdownTimeout, "BaseManager: shutdownTimeout") ?? 1000;
    this.#maxMessageSize = options.maxMessageSize;
  }

  /**
   * Registers a type of shared object for this manager class and its subclasses (Python's
   * `BaseManager.register`). `register(typeid, factory?, options?)` or `register(typeid, options)`.
   * Unless `createMethod: false`, the class gains a method named `typeid` that creates one.
   */
  static register(typeid: string, factory?: Factory | RegisterOptions, options: RegisterOptions = {}): void {
    const id = checkTypeid(typeid);
    let opts = options;
    let make: Factory | undefined;
    if (typeof factory === "function" || isTaskRef(factory)) make = factory;
    else if (factory !== undefined) {
      opts = factory;
      make = factory.factory;
    }
    if (make !== undefined && typeof make !== "function" && !isTaskRef(make)) {
      throw new TypeError(`register ${id}: factory must be a function or a task reference: got ${describe(make)}`);
    }
    let proxy = "AutoProxy";
    if (opts.proxytype !== undefined) {
      if (typeof opts.proxytype !== "function") throw new TypeError(`register ${id}: proxytype must be a proxy class`);
      proxy = opts.proxytype.name;
      registerProxyType(proxy, opts.proxytype);
    }
    registryOf(this).set(id, {
      typeid: id,
      factory: make,
      exposed: checkExposed(opts.exposed, id),
      methodToTypeid: checkMethodToTypeid(opts.methodToTypeid, id),
      proxy,
    });
    if (opts.createMethod !== false && !(id in this.prototype)) {
      Object.defineProperty(this.prototype, id, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return this.create(id, ...args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  /** Registers a complete type description (the built-in types, with their own proxies). @internal */
  protected static registerType(spec: TypeSpec): void {
    registryOf(this).set(spec.typeid, spec);
  }

  /** The server's address (known once started, connected, or given). */
  get address(): Address | undefined {
    return this.#address;
  }

  /** The shared key. */
  get authkey(): Buffer {
    return this.#authkey;
  }

  /** `"initial"`, `"started"`, `"connected"` or `"shutdown"`. */
  get state(): State {
    return this.#state;
  }

  /**
   * Starts the server in a process of its own and resolves the manager. The registered factories
   * must be loadable there (a closure throws a TypeError saying so). The server process ends with
   * `shutdown()`, or as soon as this process ends (however it ends).
   */
  async start(options: StartOptions = {}): Promise<this> {
    if (this.#state !== "initial") throw new ProcessError(`Cannot start manager: it is ${this.#state}`);
    const registry = [...registryOf(this.constructor).values()].map((spec) => ({
      ...spec,
      factory: spec.factory === undefined ? undefined : toTaskRef(spec.factory as TaskFunction, `register ${spec.typeid} factory`),
    }));
    const initializer = options.initializer === undefined ? undefined : toTaskRef(options.initializer, "BaseManager.start initializer");
    const start: ServerStart = {
      kind: "start",
      registry,
      address: this.#address,
      authkey: this.#authkey,
      maxMessageSize: this.#maxMessageSize,
      initializer,
      initargs: [...(options.initargs ?? [])],
    };
    this.#state = "started";
    const child = fork(SERVER_MAIN, [], {
      execPath: getExecutable(),
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      // A larger young generation: the server allocates a little per request, all short-lived.
      execArgv: [...inheritedExecArgv().filter((arg) => !arg.startsWith("--max-semi-space-size")), "--max-semi-space-size=16"],
    });
    this.#child = child;
    liveServers.add(child);
    killServersAtExit();
    this.#exited = new Promise<void>((resolve) => {
      child.once("exit", () => {
        liveServers.delete(child);
        resolve();
      });
    });
    child.on("error", () => undefined);
    const started = await new Promise<ServerStarted>((resolve, reject) => {
      child.once("message", (message: ServerStarted) => resolve(message));
      child.once("exit", (code, signal) => reject(new ProcessError(`Cannot start manager: its server process exited (${signal ?? `code ${code}`}) before serving`)));
      child.send(start);
    });
    if (started.kind === "error") {
      this.#state = "shutdown";
      child.kill("SIGKILL");
      const error = new ProcessError(`Cannot start manager: ${started.message}`);
      error.stack = `${error.stack}\n--- in the server process ---\n${started.stack}`;
      throw error;
    }
    this.#address = started.address;
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    return this;
  }

  /** Connects to a running server at `address` (checking the key both ways) and resolves the manager. */
  async connect(): Promise<this> {
    if (this.#address === undefined) throw new TypeError("Cannot connect: the manager has no address");
    if (this.#state !== "initial") throw new ProcessError(`Cannot connect manager: it is ${this.#state}`);
    const channel = Channel.for(this.#address, this.#authkey);
    await channel.open();
    await channel.request(["hello"]);
    this.#state = "connected";
    return this;
  }

  /**
   * A server for this manager's registered types in this process (Python's `get_server()`):
   * `await manager.getServer().serveForever()`. Factories may be any function here.
   */
  getServer(): Server {
    if (this.#server !== null) return this.#server;
    if (this.#state !== "initial") throw new ProcessError(`Cannot make a server: the manager is ${this.#state}`);
    const server = new Server(registryOf(this.constructor), {
      address: this.#address,
      authkey: this.#authkey,
      maxMessageSize: this.#maxMessageSize,
    });
    this.#server = server;
    this.#state = "started";
    void server.ready().then(() => (this.#address = server.address), () => undefined);
    return server;
  }

  /**
   * Creates a shared object of type `typeid` with `args` for its factory, resolving its proxy
   * (Python's `manager.typeid(*args)`).
   */
  async create<P = BaseProxy>(typeid: string, ...args: unknown[]): Promise<P> {
    if (this.#state === "shutdown") throw new ProcessError(`Cannot create ${typeid}: the manager is shut down`);
    if (this.#state === "initial") throw new ProcessError(`Cannot create ${typeid}: start or connect the manager first`);
    if (this.#server !== null) await this.#server.ready();
    const address = this.#address!;
    const channel = Channel.for(address, this.#authkey);
    const outcome = await channel.request(["create", typeid, encodeArgs(args, `${typeid}() arguments`)]);
    const local = registryOf(this.constructor).get(typeid);
    return (await settle(outcome, (data) =>
      makeProxy({ ...data, proxy: local !== undefined && local.proxy !== "AutoProxy" ? local.proxy : data.proxy, address, authkey: this.#authkey }),
    )) as P;
  }

  /**
   * Stops the server this manager started (or serves), waiting up to `shutdownTimeout` for its
   * process before terminating it. For a connected manager, closes the connection only.
   */
  async shutdown(): Promise<void> {
    const state = this.#state;
    if (state === "shutdown" || state === "initial") return;
    this.#state = "shutdown";
    // The server stops first: this process's connections closing before would look, to the
    // server, like a client dying with the locks it holds (and be reported as such).
    try {
      if (this.#server !== null) {
        this.#server.shutdown();
        return;
      }
      const child = this.#child;
      if (child === null || this.#exited === null) return;
      if (child.exitCode === null && child.signalCode === null) {
        child.ref(); // keep this process up until the server has gone
        if (child.connected) child.send({ kind: "shutdown" }, () => undefined);
        const timedOut = await Promise.race([this.#exited.then(() => false), delay(this.#shutdownTimeout).then(() => true)]);
        if (timedOut) {
          child.kill("SIGTERM");
          if (await Promise.race([this.#exited.then(() => false), delay(this.#shutdownTimeout).then(() => true)])) child.kill("SIGKILL");
        }
      }
      await this.#exited;
    } finally {
      if (this.#address !== undefined) closeChannels(this.#address);
    }
  }

  /** The server process's pid (for a started manager). */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
