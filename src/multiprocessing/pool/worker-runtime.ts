/**
 * The loop inside every pool worker, thread or process: take the messages the pool sent, run the
 * tasks one at a time in order, answer each before starting the next.
 *
 * It stays synchronous while tasks are (no promise per task); a task that returns a promise is
 * awaited before the next one starts, as a Python worker finishes one task before taking another.
 */
import type { Boundary } from "../../internal/codec.js";
import { loadTask, type TaskFunction, type TaskRef } from "../../internal/task.js";
import {
  CALL, DEFINE, INIT, INIT_ERROR, MAP, READY, STOP, TASKS,
  decodeMessage, decodePayload, encodeOutcome, type EncodedResult,
} from "./wire.js";
import { encodeError } from "./remote-error.js";

/** How the runtime answers: the transport writes one record per call. */
export interface RuntimeOutput {
  /** `cloned` is set for kind OK_CLONED: a value holding shared memory (threads only). */
  send(kind: number, id: number, ms: number, payload: Uint8Array | undefined, cloned?: unknown): void;
  /** Ends the worker after everything sent is delivered. */
  exit(): void;
}

/** Task ids below 0 stand for the INIT and STOP messages in the run queue. */
const INIT_ENTRY = -1;
const STOP_ENTRY = -2;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

export class WorkerRuntime {
  readonly #boundary: Boundary;
  readonly #out: RuntimeOutput;
  /** Pulls newly arrived messages into the queue; true when it found any. */
  readonly #refill: () => boolean;
  /** Called when the queue is empty and nothing more arrived. */
  readonly #idle: () => void;
  readonly #fns: Array<TaskFunction | undefined> = [];
  readonly #refs: Array<TaskRef | undefined> = [];
  /** Queued entries, four slots each: id, function index, mode, payload. */
  #queue: unknown[] = [];
  #head = 0;
  #running = false;
  #stopped = false;
  readonly #result: EncodedResult = { kind: 0, payload: undefined };

  constructor(boundary: Boundary, out: RuntimeOutput, refill: () => boolean, idle: () => void) {
    this.#boundary = boundary;
    this.#out = out;
    this.#refill = refill;
    this.#idle = idle;
  }

  /** Takes one message record (its bytes are read at once). */
  receive(bytes: Uint8Array): void {
    this.receiveMessage(decodeMessage(bytes));
  }

  /** Takes one message already decoded (one that came by postMessage). */
  receiveMessage(message: unknown[]): void {
    switch (message[0]) {
      case TASKS:
        if (this.#head === this.#queue.length) {
          this.#queue = message;
          this.#head = 1;
        } else {
          for (let i = 1; i < message.length; i++) this.#queue.push(message[i]);
        }
        break;
      case DEFINE:
        this.#refs[message[1] as number] = message[2] as TaskRef;
        this.#fns[message[1] as number] = undefined;
        break;
      case INIT:
        this.#queue.push(INIT_ENTRY, 0, 0, message);
        break;
      case STOP:
        this.#queue.push(STOP_ENTRY, 0, 0, null);
        break;
    }
  }

  /** Whether the loop is running (or waiting on an async task). */
  get running(): boolean {
    return this.#running;
  }

  /** Runs what is queued, unless already running. */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    const out = this.#out;
    const result = this.#result;
    for (;;) {
      while (this.#head < this.#queue.length) {
        const q = this.#queue;
        const h = this.#head;
        const id = q[h] as number;
        const fnIndex = q[h + 1] as number;
        const mode = q[h + 2] as number;
        const payload = q[h + 3];
        q[h + 3] = undefined;
        this.#head = h + 4;
        if (id < 0) {
          if (id === INIT_ENTRY) await this.#init(payload as unknown[]);
          else {
            this.#stopped = true;
            out.exit();
            return;
          }
          continue;
        }
        const started = performance.now();
        let ok = true;
        let value: unknown;
        try {
          let fn = this.#fns[fnIndex];
          if (fn === undefined) fn = this.#fns[fnIndex] = await loadTask(this.#refs[fnIndex]!);
          let args = decodePayload(payload, this.#boundary);
          if (args instanceof Promise) args = await args;
          const call = fn as (...args: unknown[]) => unknown;
          if (mode === CALL) {
            value = call(...args);
            if (isThenable(value)) value = await value;
          } else {
            const values = new Array<unknown>(args.length);
            for (let i = 0; i < args.length; i++) {
              let v = mode === MAP ? call(args[i]) : call(...(args[i] as unknown[]));
              if (isThenable(v)) v = await v;
              values[i] = v;
            }
            value = values;
          }
        } catch (error) {
          ok = false;
          value = error;
        }
        encodeOutcome(ok, value, this.#boundary, result);
        out.send(result.kind, id, performance.now() - started, result.payload, result.cloned);
        result.cloned = undefined;
      }
      this.#queue = [];
      this.#head = 0;
      if (!this.#refill()) break;
    }
    this.#running = false;
    this.#idle();
  }

  async #init(message: unknown[]): Promise<void> {
    const [, , ref, initargs] = message as [number, string, TaskRef | null, unknown];
    try {
      if (ref !== null) {
        const initializer = (await loadTask(ref)) as (...args: unknown[]) => unknown;
        const value = initializer(...(await decodePayload(initargs, this.#boundary)));
        if (isThenable(value)) await value;
      }
      this.#out.send(READY, 0, 0, undefined);
    } catch (error) {
      this.#out.send(INIT_ERROR, 0, 0, encodeError(error));
    }
  }
}
