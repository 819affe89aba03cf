/**
 * `ObjectClient`: the calling side of the object server (`server.ts`). One per (process, server
 * address): a single authenticated connection that carries every call to that server, multiplexed by
 * request id, so calls from one process to one server stay in order.
 *
 *   const client = ObjectClient.for(address, authkey);
 *   const value = await client.call(id, "method", [args], { signal });
 *
 * The connection is opened on the first call and reading it keeps the process alive only while a
 * call is pending: an idle client never holds a process open. When the server's process dies,
 * pending and later calls reject with `EOFError` ("the owner ... is gone").
 */
import { Client, type Address } from "./listener.js";
import type { Connection } from "./connection.js";
import { dumps, loadsAsync } from "./serialize.js";
import { errorFromWire, type Reply, type Request } from "./protocol.js";
import { EOFError } from "./errors.js";

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Options of a call. */
export interface CallOptions {
  /** Cancels the call: the server aborts it; the promise still settles with the server's answer. */
  signal?: AbortSignal | undefined;
}

const clients = new Map<string, ObjectClient>();

function keyOf(address: Address): string {
  return typeof address === "string" ? address : `${address[0]}:${address[1]}`;
}

/** Calls objects served by one `ObjectServer`. */
export class ObjectClient {
  readonly #address: Address;
  readonly #authkey: Uint8Array;
  #conn: Promise<Connection> | undefined;
  /** The connection once open (writes skip the promise hop). */
  #ready: Connection | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #reading = false;
  #broken: Error | null = null;

  /** The client of this process for the server at `address` (created on first use). */
  static for(address: Address, authkey: Uint8Array): ObjectClient {
    const key = keyOf(address);
    let client = clients.get(key);
    if (client === undefined || client.#broken !== null) {
      client = new ObjectClient(address, authkey);
      clients.set(key, client);
    }
    return client;
  }

  constructor(address: Address, authkey: Uint8Array) {
    this.#address = address;
    this.#authkey = authkey;
  }

  /** Calls `method` of the object `id` and resolves its result (or rejects its error). */
  call(id: string, method: string, args: unknown[], options: CallOptions = {}): Promise<unknown> {
    if (this.#broken !== null) return Promise.reject(this.#broken);
    const requestId = this.#nextId++;
    let bytes: Buffer;
    try {
      bytes = dumps({ id: requestId, target: id, method, args } satisfies Request, `${method} arguments`);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal } = options;
    return new Promise<unknown>((resolve, reject) => {
      this.#pending.set(requestId, { resolve, reject });
      this.#transmit(bytes);
      if (signal !== undefined) {
        const cancel = (): void => {
          if (!this.#pending.has(requestId)) return;
          this.#transmit(dumps({ id: 0, target: "", method: "#cancel", args: [requestId] } satisfies Request, "cancel"));
        };
        if (signal.aborted) cancel();
        else signal.addEventListener("abort", cancel, { once: true });
      }
    });
  }

  /** Calls without waiting for the result; a failure is reported as a process warning. */
  send(id: string, method: string, args: unknown[]): void {
    this.call(id, method, args).catch((error: Error) => {
      process.emitWarning(`shoal: ${method} on ${id} failed in its owner process: ${error.message}`, { code: "SHOAL_REMOTE_CALL" });
    });
  }

  #transmit(bytes: Buffer): void {
    const ready = this.#ready;
    if (ready !== undefined) {
      ready.sendRaw(bytes).catch((error: Error) => this.#fail(error));
      this.#startReading(ready);
      return;
    }
    if (this.#conn === undefined) {
      this.#conn = Client(this.#address, { authkey: this.#authkey });
      this.#conn.then((conn) => (this.#ready = conn), () => undefined);
    }
    this.#conn.then(
      (conn) => {
        conn.sendRaw(bytes).catch((error: Error) => this.#fail(error));
        this.#startReading(conn);
      },
      (error: Error) => this.#fail(error),
    );
  }

  #startReading(conn: Connection): void {
    if (this.#reading) return;
    this.#reading = true;
    void (async () => {
      try {
        while (this.#pending.size > 0) {
          const reply = (await loadsAsync(await conn.recvFrame("recv"))) as Reply;
          const pending = this.#pending.get(reply.id);
          if (pending === undefined) continue;
          this.#pending.delete(reply.id);
          if (reply.kind === "return") pending.resolve(reply.value);
          else if (reply.kind === "error") pending.reject(errorFromWire(reply.error));
          else pending.resolve(reply.token);
        }
      } catch (error) {
        this.#fail(error as Error);
      } finally {
        this.#reading = false;
      }
      if (this.#pending.size > 0 && this.#broken === null) this.#startReading(conn);
    })();
  }

  #fail(error: Error): void {
    if (this.#broken !== null) return;
    const where = typeof this.#address === "string" ? this.#address : this.#address.join(":");
    this.#broken =
      error instanceof EOFError || (error as { code?: string }).code === "ECONNREFUSED" || (error as { code?: string }).code === "ENOENT"
        ? new EOFError(`Cannot reach the owner of a shared object at ${where}: its process is gone`, { cause: error })
        : error;
    clients.delete(keyOf(this.#address));
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
    void this.#conn?.then((conn) => conn.close(), () => undefined);
  }
}
