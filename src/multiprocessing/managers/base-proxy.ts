/**
 * `BaseProxy`: a handle on an object held by a manager's server (Python's `BaseProxy`). Its
 * methods are remote calls, so they are async. A proxy can be handed to another process or thread
 * (as a `Process` argument, inside a value put in a queue or stored in a managed dict): it arrives
 * there as a working proxy of the same object (see `proxy-codec.ts`).
 *
 *   await proxy.callMethod("append", [1])   // Python's _callmethod
 *   await proxy.getValue()                  // a copy of the referent (Python's _getvalue)
 *   proxy.token                             // { typeid, address, id }
 */
import { Channel, encodeArgs, settle } from "./client.js";
import { isCallableName } from "./registry.js";
import type { Address } from "../listener.js";
import type { Token, TokenData } from "./protocol.js";

/** Everything that locates a shared object and lets a process reach it. */
export interface ProxyLocation extends TokenData {
  readonly address: Address;
  readonly authkey: Uint8Array;
}

/** Options of a remote call. */
export interface CallOptions {
  /** Aborting asks the server to abandon the call (see `client.ts` for what that guarantees). */
  signal?: AbortSignal | undefined;
}

/** A constructor of a proxy class (what the proxy table holds). */
export type ProxyClass = new (location: ProxyLocation) => BaseProxy;

const table = new Map<string, ProxyClass>();

/**
 * Makes a proxy class known by `name`, so that proxies of it can be rebuilt in the processes they
 * are sent to (the module defining it must be loaded there too).
 */
export function registerProxyType(name: string, proxyClass: ProxyClass): void {
  table.set(name, proxyClass);
}

/** The proxy class registered as `name`, or undefined. @internal */
export function proxyType(name: string): ProxyClass | undefined {
  return table.get(name);
}

let makeFallback: ((location: ProxyLocation) => BaseProxy) | undefined;

/** Sets how proxies of unknown classes are built (AutoProxy). @internal */
export function setFallbackProxy(make: (location: ProxyLocation) => BaseProxy): void {
  makeFallback = make;
}

/** Builds the proxy a reply or a marker describes. @internal */
export function makeProxy(location: ProxyLocation): BaseProxy {
  const Class = table.get(location.proxy);
  if (Class !== undefined) return new Class(location);
  if (makeFallback === undefined) throw new TypeError(`Cannot build a proxy of ${location.typeid}: proxy class ${location.proxy} is not loaded`);
  return makeFallback(location);
}

const kLocation: unique symbol = Symbol("shoal.manager.location");

/** Where a proxy's object lives (for the codec and the server). @internal */
export function proxyLocation(proxy: BaseProxy): ProxyLocation {
  return proxy[kLocation];
}

/** A handle on an object held by a manager. */
export class BaseProxy {
  readonly #location: ProxyLocation;
  #channel: Channel | undefined;

  constructor(location: ProxyLocation) {
    this.#location = location;
  }

  /** @internal */
  get [kLocation](): ProxyLocation {
    return this.#location;
  }

  /** Which object this is: its type, its manager's address, its id there. */
  get token(): Token {
    const { typeid, address, id } = this.#location;
    return { typeid, address, id };
  }

  /**
   * Calls `method` of the referent with `args` and resolves its result (Python's `_callmethod`).
   * Rejects with the remote error: errors of known classes as themselves (`Empty`, `TypeError`, …),
   * others as `RemoteError`.
   */
  callMethod(method: string, args: readonly unknown[] = [], options: CallOptions = {}): Promise<unknown> {
    if (!isCallableName(method)) return Promise.reject(new TypeError(`Cannot call ${JSON.stringify(method)}: not a method name`));
    return this.call(method, args, options.signal);
  }

  /** A copy of the referent (Python's `_getvalue`). */
  async getValue(): Promise<unknown> {
    const outcome = await this.#chan().request(["value", this.#location.id]);
    return settle(outcome, (data) => this.#proxyFrom(data));
  }

  /** The remote call behind every method. `thread` names the calling thread for ownership. */
  protected async call(method: string, args: readonly unknown[], signal?: AbortSignal, thread = 0): Promise<unknown> {
    const encoded = encodeArgs(args, `${this.#location.typeid}.${method} arguments`);
    const channel = this.#chan();
    const id = this.#location.id;
    const early = channel.takePostError(id);
    if (early !== undefined) throw early;
    const outcome = await channel.request(["call", id, method, encoded, thread], signal);
    const deferred = channel.takePostError(id);
    if (deferred !== undefined) throw deferred;
    return settle(outcome, (data) => this.#proxyFrom(data));
  }

  /**
   * A call whose result is not needed (it returns nothing and cannot fail once its arguments are
   * checked here): it resolves as soon as the request is on its way, in order with every other call
   * of this process to the manager. If it fails after all, the next call on this object rejects
   * with its error.
   */
  protected async post(method: string, args: readonly unknown[], thread = 0): Promise<void> {
    const encoded = encodeArgs(args, `${this.#location.typeid}.${method} arguments`);
    const channel = this.#chan();
    const early = channel.takePostError(this.#location.id);
    if (early !== undefined) throw early;
    try {
      await channel.post([this.#location.id, method, encoded, thread]);
    } catch (error) {
      throw channel.asGone(error);
    }
  }

  /** Facts the server gave about the referent (e.g. whether a queue is unbounded). @internal */
  protected hint(name: string): unknown {
    return this.#location.hints?.[name];
  }

  #chan(): Channel {
    this.#channel ??= Channel.for(this.#location.address, this.#location.authkey);
    return this.#channel;
  }

  #proxyFrom(data: TokenData): BaseProxy {
    return makeProxy({ ...data, address: this.#location.address, authkey: this.#location.authkey });
  }

  toString(): string {
    const { typeid, id, address } = this.#location;
    return `<${this.constructor.name} ${typeid} id=${id} at ${JSON.stringify(address)}>`;
  }
}
