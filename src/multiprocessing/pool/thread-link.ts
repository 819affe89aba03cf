/**
 * The pool's side of a ThreadPool worker: a `worker_threads` Worker, a ring for tasks, a ring for
 * results, and a MessagePort for the rare message too big for a ring or holding shared memory
 * (a zero-length record in the ring marks its place in the order).
 *
 * Results are picked up by `Atomics.waitAsync` on the result ring: the thread's first write after we
 * drained it wakes us, and each wake-up takes everything written by then. (Polling with
 * `setImmediate` instead answers a trivial task faster on an idle machine, and several times slower
 * on a busy one, where the polling thread takes the CPU the worker needs.)
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type ResourceLimits, type Worker } from "node:worker_threads";
import { Ring } from "./ring.js";
import type { WorkerExit } from "./errors.js";
import { OVERSIZE, type Outgoing } from "./wire.js";
import type { WorkerEvents, WorkerLink } from "./worker-link.js";
import { startWorker } from "../../internal/start-worker.js";
import { stackLimits } from "../../threading/stack-size.js";
import { seedForChild } from "../shared-memory-registry.js";

const RING_BYTES = 1 << 20;

export interface ThreadLinkOptions {
  resourceLimits?: ResourceLimits | undefined;
  execArgv?: string[] | undefined;
}

const ENTRY = new URL("./thread-entry.js", import.meta.url);

export class ThreadLink implements WorkerLink {
  readonly pid = undefined;
  readonly threadId: number;
  readonly #worker: Worker;
  readonly #inbox = new Ring(RING_BYTES);
  readonly #outbox = new Ring(RING_BYTES);
  readonly #port: MessagePort;
  readonly #events: WorkerEvents;
  readonly #backlog: Outgoing[] = [];
  #backlogTimer: ReturnType<typeof setTimeout> | undefined;
  #waiting = false;
  #error: Error | undefined;
  #gone = false;
  readonly #forgetRegistry: () => void;

  constructor(name: string, events: WorkerEvents, options: ThreadLinkOptions) {
    this.#events = events;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const registry = seedForChild();
    this.#forgetRegistry = registry.forget;
    this.#worker = startWorker(ENTRY, {
      name,
      workerData: { inbox: this.#inbox.buffer, outbox: this.#outbox.buffer, port: port2, sharedMemory: registry.seed },
      transferList: [port2, ...registry.transfer],
      // The stack size set by threading's stackSize(), unless the pool was given one.
      resourceLimits: options.resourceLimits?.stackSizeMb === undefined ? { ...options.resourceLimits, ...stackLimits() } : options.resourceLimits,
      execArgv: options.execArgv,
    });
    this.threadId = this.#worker.threadId;
    this.#worker.on("error", (error) => {
      this.#error = error;
    });
    this.#worker.on("exit", (code) => this.#exited(code));
    this.#arm();
  }

  send(record: Outgoing): void {
    if (this.#gone) return;
    if (this.#backlog.length > 0 || !this.#write(record)) {
      this.#backlog.push(record);
      this.#retryLater();
    }
  }

  #write(record: Outgoing): boolean {
    if (!(record instanceof Uint8Array) || record.length > this.#inbox.maxRecord) {
      if (!this.#inbox.hasRoom(0)) return false;
      // The bytes go first, so they are on the port when the worker reads the marker.
      this.#port.postMessage(record);
      return this.#inbox.tryWrite([], 0);
    }
    return this.#inbox.tryWrite([record], record.length);
  }

  #flushBacklog(): void {
    while (this.#backlog.length > 0) {
      if (!this.#write(this.#backlog[0]!)) return this.#retryLater();
      this.#backlog.shift();
    }
  }

  #retryLater(): void {
    this.#backlogTimer ??= setTimeout(() => {
      this.#backlogTimer = undefined;
      this.#flushBacklog();
    }, 1);
  }

  /** Delivers every result written so far; returns how many. */
  #poll(): number {
    const count = this.#outbox.drain(this.#take);
    if (this.#backlog.length > 0) this.#flushBacklog();
    return count;
  }

  readonly #take = (record: Uint8Array): void => {
    if (record[0] === OVERSIZE) {
      const received = receiveMessageOnPort(this.#port);
      if (received === undefined) throw new Error("Pool protocol error: an oversize result announced in the ring is missing from the port");
      const message = received.message as Uint8Array | { header: Uint8Array; value: unknown };
      if (message instanceof Uint8Array) this.#events.record(message);
      else this.#events.record(message.header, message.value);
    } else {
      this.#events.record(record);
    }
  };

  #arm(): void {
    if (this.#waiting || this.#gone) return;
    const position = this.#outbox.writePosition();
    if (!this.#outbox.isEmpty()) {
      this.#poll();
      return this.#arm();
    }
    const waiting = this.#outbox.waitAsync(position);
    if (waiting === undefined) {
      this.#poll();
      return this.#arm();
    }
    this.#waiting = true;
    void waiting.then(() => {
      this.#waiting = false;
      if (this.#gone) return;
      this.#poll();
      this.#arm();
    });
  }

  #exited(code: number): void {
    this.#forgetRegistry();
    if (this.#gone) return;
    // Everything the thread wrote is still in the ring: deliver it before reporting the exit.
    this.#poll();
    this.#gone = true;
    if (this.#backlogTimer !== undefined) clearTimeout(this.#backlogTimer);
    Atomics.notify(new Int32Array(this.#outbox.buffer, 0, 1), 0);
    this.#port.close();
    const exit: WorkerExit = { exitCode: code, signal: null, error: this.#error };
    this.#events.exit(exit);
  }

  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }

  kill(): void {
    void this.#worker.terminate();
  }
}
