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
 *
 * Requests are written to the socket's descriptor directly (never left in Node's stream, which a
 * `process.exit()` would drop half-written), and what the kernel does not take at once waits here.
 * At the `'exit'` event what waits is written with blocking writes; requests made before the
 * connection was up, and marked `mustArrive` (a queue's items, a release, a set), are delivered
 * by a short-lived helper process (`late-delivery.ts`), since nothing asynchronous runs any more.
 */
import { spawnSync } from "node:child_process";
import { writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import { Client, type Address } from "./listener.js";
import type { Connection } from "./connection.js";
import { frameOf } from "./framing.js";
import { dumps, loadsAsync } from "./serialize.js";
import { errorFromWire, type Reply, type Request } from "./protocol.js";
import { EOFError } from "./errors.js";
import { atExitSync } from "./exit-hooks.js";
import { getExecutable } from "./executable.js";

const LATE_DELIVERY = fileURLToPath(new URL("./late-delivery.js", import.meta.url));
/** How long the writes at exit may wait for an owner that does not read (ms). */
const EXIT_FLUSH_MS = 10_000;
/** How soon a write the kernel refused (its buffer is full) is tried again (ms). */
const RETRY_MS = 1;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** The errors that mean the owner's process (or its socket) is gone. */
const GONE = new Set(["ECONNREFUSED", "ENOENT", "EPIPE", "ECONNRESET", "ENOTCONN"]);

/** What a late delivery needs (the helper reads it on its stdin). @internal */
export interface LateDelivery {
  address: Address;
  authkey: Uint8Array;
  requests: Uint8Array[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Options of a call. */
export interface CallOptions {
  /** Cancels the call: the server aborts it; the promise still settles with the server's answer. */
  signal?: AbortSignal | undefined;
  /**
   * The request is delivered even when this process exits (`process.exit()`) before it was
   * sent: for calls whose effect matters and whose answer nobody needs (puts, releases, sets).
   */
  mustArrive?: boolean | undefined;
}

const clients = new Map<string, ObjectClient>();
let flushing = false;

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
  /** Requests made before the connection was up, in order. */
  #unsent: Array<{ bytes: Buffer; mustArrive: boolean }> = [];
  /** Frames the kernel has not taken yet, in order; `#outOffset` bytes of the first are written. */
  #out: Buffer[] = [];
  #outOffset = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;

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
    if (!flushing) {
      flushing = true;
      atExitSync("write out", flushAtExit);
    }
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
      const cancel = (): void => {
        if (!this.#pending.has(requestId)) return;
        this.#transmit(dumps({ id: 0, target: "", method: "#cancel", args: [requestId] } satisfies Request, "cancel"), false);
      };
      if (signal === undefined || signal.aborted) this.#pending.set(requestId, { resolve, reject });
      else {
        // One signal may serve many calls (a consumer's whole life): each takes its listener off
        // when it settles, or they pile up on the signal.
        signal.addEventListener("abort", cancel, { once: true });
        this.#pending.set(requestId, {
          resolve: (value) => {
            signal.removeEventListener("abort", cancel);
            resolve(value);
          },
          reject: (error) => {
            signal.removeEventListener("abort", cancel);
            reject(error);
          },
        });
      }
      this.#transmit(bytes, options.mustArrive === true);
      if (signal?.aborted) cancel();
    });
  }

  /** Calls without waiting for the result; a failure is reported as a process warning. */
  send(id: string, method: string, args: unknown[]): void {
    this.call(id, method, args, { mustArrive: true }).catch((error: Error) => {
      process.emitWarning(`shoal: ${method} on ${id} failed in its owner process: ${error.message}`, { code: "SHOAL_REMOTE_CALL" });
    });
  }

  #transmit(bytes: Buffer, mustArrive: boolean): void {
    const ready = this.#ready;
    if (ready !== undefined) {
      this.#write(ready, frameOf(bytes));
      this.#startReading(ready);
      return;
    }
    this.#unsent.push({ bytes, mustArrive });
    if (this.#conn !== undefined) return;
    this.#conn = Client(this.#address, { authkey: this.#authkey });
    this.#conn.then(
      (conn) => {
        this.#ready = conn;
        const unsent = this.#unsent;
        this.#unsent = [];
        if (this.#broken !== null) return;
        for (const request of unsent) this.#write(conn, frameOf(request.bytes));
        this.#startReading(conn);
      },
      (error: Error) => this.#fail(error),
    );
  }

  /** Writes `frame` after those still waiting; what the kernel does not take waits for a retry. */
  #write(conn: Connection, frame: Buffer): void {
    if (this.#out.length > 0) {
      this.#out.push(frame);
      return;
    }
    const fd = conn.descriptor;
    if (fd < 0) {
      // No descriptor to write to (should not happen on a connected socket): the stream's way.
      conn.sendRaw(frame.subarray(4)).catch((error: Error) => this.#fail(error));
      return;
    }
    this.#out.push(frame);
    this.#drain(fd);
  }

  /** Writes what waits until the kernel refuses more; true when everything is written. */
  #drain(fd: number): boolean {
    while (this.#out.length > 0) {
      const frame = this.#out[0]!;
      let written: number;
      try {
        written = writeSync(fd, frame, this.#outOffset, frame.length - this.#outOffset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") {
          this.#scheduleRetry();
          return false;
        }
        this.#fail(error as Error);
        return true;
      }
      this.#outOffset += written;
      if (this.#outOffset === frame.length) {
        this.#out.shift();
        this.#outOffset = 0;
      }
    }
    return true;
  }

  #scheduleRetry(): void {
    this.#retry ??= setTimeout(() => {
      this.#retry = undefined;
      const fd = this.#ready?.descriptor ?? -1;
      if (fd >= 0) this.#drain(fd);
    }, RETRY_MS);
  }

  /** At exit: writes what waits, blocking; hands what never got a connection to a helper. @internal */
  flushSync(): void {
    if (this.#broken !== null) return;
    if (this.#ready !== undefined) {
      const fd = this.#ready.descriptor;
      const deadline = performance.now() + EXIT_FLUSH_MS;
      while (fd >= 0 && !this.#drain(fd) && this.#broken === null) {
        if (performance.now() > deadline) {
          process.stderr.write(`shoal: at exit, the owner of shared objects at ${this.#where()} read nothing for ${EXIT_FLUSH_MS} ms; what was left to send is lost\n`);
          return;
        }
        Atomics.wait(pause, 0, 0, RETRY_MS);
      }
      return;
    }
    const requests = this.#unsent.filter((request) => request.mustArrive).map((request) => request.bytes);
    this.#unsent = [];
    if (requests.length === 0) return;
    const delivery: LateDelivery = { address: this.#address, authkey: this.#authkey, requests };
    const result = spawnSync(getExecutable(), [LATE_DELIVERY], {
      input: serialize(delivery),
      stdio: ["pipe", "inherit", "inherit"],
      timeout: EXIT_FLUSH_MS,
    });
    if (result.status !== 0) {
      process.stderr.write(`shoal: at exit, ${requests.length} call(s) to the owner of shared objects at ${this.#where()} could not be delivered${result.error ? `: ${result.error.message}` : ""}\n`);
    }
  }

  #where(): string {
    return typeof this.#address === "string" ? this.#address : this.#address.join(":");
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
    const code = (error as { code?: unknown }).code;
    this.#broken =
      error instanceof EOFError || (typeof code === "string" && GONE.has(code))
        ? new EOFError(`Cannot reach the owner of a shared object at ${this.#where()}: its process is gone`, { cause: error })
        : error;
    if (clients.get(keyOf(this.#address)) === this) clients.delete(keyOf(this.#address));
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
    this.#unsent = [];
    this.#out = [];
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    void this.#conn?.then((conn) => conn.close(), () => undefined);
  }
}

function flushAtExit(): void {
  for (const client of clients.values()) client.flushSync();
}
