/**
 * The server side of a managed `Queue` / `JoinableQueue` (Python's manager serves a
 * `queue.Queue`, which has `task_done`/`join` too). Items stay as the values the clients sent.
 */
import { Empty, Full } from "../../../queue/errors.js";
import { kContextual, kHints, waitOptions, type CallContext, type Contextual } from "./context.js";
import { Waiters, deadline, left } from "./waiters.js";

export class ServedQueue implements Contextual {
  readonly [kContextual] = true as const;
  readonly #maxsize: number;
  #items: unknown[] = [];
  #head = 0;
  #unfinished = 0;
  readonly #notEmpty = new Waiters();
  readonly #notFull = new Waiters();
  readonly #allDone = new Waiters();

  constructor(maxsize = 0) {
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) throw new TypeError("Queue: maxsize must be a number");
    this.#maxsize = maxsize;
  }

  [kHints](): Record<string, boolean> {
    return { unbounded: this.#maxsize <= 0 };
  }

  #size(): number {
    return this.#items.length - this.#head;
  }

  #isFull(): boolean {
    return this.#maxsize > 0 && this.#size() >= this.#maxsize;
  }

  async put(ctx: CallContext, item: unknown, options?: unknown): Promise<void> {
    if (this.#isFull()) {
      const { block, timeout } = waitOptions(options, "Queue.put");
      if (!block) throw new Full("Cannot put an item: the queue is full", { maxsize: this.#maxsize });
      const end = deadline(timeout);
      while (this.#isFull()) {
        if (!(await this.#notFull.wait(ctx, left(end))) && this.#isFull()) {
          throw new Full(`Cannot put an item: the queue is still full after ${timeout} ms`, { maxsize: this.#maxsize, timeout });
        }
      }
    }
    this.#items.push(item);
    this.#unfinished += 1;
    this.#notEmpty.notify(1);
  }

  async get(ctx: CallContext, options?: unknown): Promise<unknown> {
    if (this.#size() === 0) {
      const { block, timeout } = waitOptions(options, "Queue.get");
      if (!block) throw new Empty("Cannot get an item: the queue is empty");
      const end = deadline(timeout);
      while (this.#size() === 0) {
        if (!(await this.#notEmpty.wait(ctx, left(end))) && this.#size() === 0) {
          throw new Empty(`Cannot get an item: the queue is still empty after ${timeout} ms`, timeout === undefined ? {} : { timeout });
        }
      }
    }
    return this.#take();
  }

  #take(): unknown {
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head += 1;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.#maxsize > 0) this.#notFull.notify(1);
    return item;
  }

  qsize(_ctx: CallContext): number {
    return this.#size();
  }

  empty(_ctx: CallContext): boolean {
    return this.#size() === 0;
  }

  full(_ctx: CallContext): boolean {
    return this.#isFull();
  }

  taskDone(_ctx: CallContext): void {
    if (this.#unfinished <= 0) throw new RangeError("Cannot mark task done: task_done() called too many times");
    this.#unfinished -= 1;
    if (this.#unfinished === 0) this.#allDone.notifyAll();
  }

  async join(ctx: CallContext): Promise<void> {
    while (this.#unfinished > 0) await this.#allDone.wait(ctx, undefined);
  }
}
