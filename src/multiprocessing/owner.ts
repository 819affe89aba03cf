/**
 * Where process-shared objects live. Processes share no memory in Node, so a `Queue` or `Lock`
 * made by `new Queue()` lives in the process that made it (its owner), served by that process's
 * `ObjectServer` (started on first use, on a unix socket, guarded by the process's authkey, which
 * children inherit). A `SharedRef` is how one such object is reached: in the owner it calls the
 * object directly; elsewhere through an `ObjectClient` to the owner.
 */
import type { Address } from "./listener.js";
import { ObjectServer, type RegisterOptions, type Token } from "./server.js";
import { ObjectClient } from "./client.js";
import { currentProcess } from "./process.js";
import { registerShareable } from "../internal/codec.js";
import { noteModule } from "./transfer-modules.js";

let server: ObjectServer | undefined;

/** This process's object server (started on first use). */
export function ownerServer(): ObjectServer {
  server ??= new ObjectServer({ authkey: currentProcess().authkey });
  return server;
}

function sameAddress(a: Address, b: Address): boolean {
  return typeof a === "string" ? a === b : typeof b !== "string" && a[0] === b[0] && a[1] === b[1];
}

/** Handle on a served object: local in its owner, a client elsewhere. */
export class SharedRef {
  readonly token: Token;
  /** The served object when this process owns it. */
  readonly local: object | undefined;
  #client: ObjectClient | undefined;

  private constructor(token: Token, local: object | undefined) {
    this.token = token;
    this.local = local;
  }

  /** Serves `object` from this process. */
  static serve(typeid: string, object: object, options: RegisterOptions): SharedRef {
    return new SharedRef(ownerServer().register(typeid, object, options), object);
  }

  /** The handle for a token received from another process. */
  static fromToken(token: Token): SharedRef {
    if (server !== undefined && sameAddress(server.address, token.address)) {
      const entry = server.lookup(token.id);
      if (entry !== undefined) return new SharedRef(token, entry.object);
    }
    return new SharedRef(token, undefined);
  }

  /** Whether the object lives in this process. */
  get isOwner(): boolean {
    return this.local !== undefined;
  }

  /** Calls `method` on the object, wherever it lives. */
  call(method: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    if (this.local !== undefined) return ownerServer().callLocal(this.token.id, method, args, signal);
    this.#client ??= ObjectClient.for(this.token.address, currentProcess().authkey);
    return this.#client.call(this.token.id, method, args, { signal });
  }

  /**
   * Calls `method` for its effect: the request reaches the owner even if this process exits before
   * it was sent (see `client.ts`). For calls that need not be awaited (a put, a release, a set).
   */
  post(method: string, args: unknown[]): Promise<unknown> {
    if (this.local !== undefined) return ownerServer().callLocal(this.token.id, method, args, undefined);
    this.#client ??= ObjectClient.for(this.token.address, currentProcess().authkey);
    return this.#client.call(this.token.id, method, args, { mustArrive: true });
  }
}

/**
 * Registers a class of process-shared objects with the codec: instances cross as their token and
 * arrive as `rebuild(ref)` (the owner gets back the object it serves).
 */
const instances = new WeakMap<object, object>();

/** Records the object standing for a served one in its owner, so that it comes back as itself. */
export function rememberShared(ref: SharedRef, instance: object): void {
  if (ref.local !== undefined) instances.set(ref.local, instance);
}

export function registerShared<T extends { readonly ref: SharedRef }>(
  kind: string,
  module: string,
  cls: abstract new (...args: never[]) => T,
  rebuild: (ref: SharedRef, extra: unknown) => T,
  extra?: (value: T) => unknown,
): void {
  registerShareable<T, { token: Token; extra: unknown }>({
    kind,
    module,
    is: (value): value is T => value instanceof cls && Object.getPrototypeOf(value) === cls.prototype,
    encode: (value, boundary, where) => {
      if (boundary !== "process") throw new TypeError(`${where}: a process-shared ${kind} does not cross to worker threads; use the threading layer's`);
      noteModule(module);
      return { token: value.ref.token, extra: extra?.(value) };
    },
    decode: ({ token, extra: data }) => {
      const ref = SharedRef.fromToken(token);
      // In the owner, the same object comes back; elsewhere one proxy per process and object.
      const key = ref.local;
      if (key !== undefined) {
        const known = instances.get(key) as T | undefined;
        if (known !== undefined) return known;
        const made = rebuild(ref, data);
        instances.set(key, made);
        return made;
      }
      return rebuild(ref, data);
    },
  });
}
