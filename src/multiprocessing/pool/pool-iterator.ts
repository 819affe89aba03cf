/**
 * The async iterator of `imap` and `imapUnordered` (Python's `IMapIterator`).
 *
 * It reads its iterable lazily: at most `buffersize` chunks are submitted and not yet consumed,
 * so the pool works only as far ahead of the consumer as asked, and a consumer that leaves the
 * loop (`return()`) stops the feeding and cancels the chunks not sent to a worker yet.
 */
import { checkOptions, checkSignal, checkTimeout, type WaitOptions } from "../../internal/options.js";
import { TimeoutError } from "../errors.js";
import { abandon, deliver, drain, type TaskSink } from "./sink.js";
import type { Task } from "./task.js";

/** @internal What the pool gives an iterator. */
export interface IteratorHooks {
  source: Iterator<unknown> | AsyncIterator<unknown>;
  chunksize: number;
  buffersize: number;
  /** Whether the caller chose `buffersize` (else `join()` after `close()` may lift it). */
  buffersizeGiven: boolean;
  ordered: boolean;
  method: string;
  submit(chunk: unknown[], sink: TaskSink, index: number): Task;
  /** The iterator will submit nothing more. */
  done(): void;
  register(iterator: TaskSink): void;
  unregister(iterator: TaskSink): void;
}

interface Entry {
  ok: boolean;
  value: unknown;
  /** Last entry of its chunk: taking it frees a place in the buffer. */
  last: boolean;
}

interface Waiter<R> {
  /** Takes the waiter off the list and disarms its timer and signal. */
  claim(): void;
  resolve(result: IteratorResult<R>): void;
  reject(error: unknown): void;
}

type Taken<R> = { ok: true; result: IteratorResult<R> } | { ok: false; error: unknown };

export class PoolIterator<R> implements AsyncIterableIterator<R>, TaskSink {
  readonly #hooks: IteratorHooks;
  readonly #tasks = new Map<number, Task>();
  /** Finished chunks waiting for their turn (ordered mode). */
  readonly #early = new Map<number, { ok: boolean; value: unknown }>();
  #next = 0;
  #out: Entry[] = [];
  #outHead = 0;
  #waiters: Waiter<R>[] = [];
  #submitted = 0;
  #consumed = 0;
  #pulling = false;
  #waking = false;
  /** Chunks submitted and not yet consumed, at most. */
  #limit: number;
  /** Whether join() has lifted the limit (see `drain`). */
  #draining = false;
  #inputDone = false;
  #closed = false;
  #failure: { error: unknown } | undefined;

  /** @internal Made by the pool. */
  constructor(hooks: IteratorHooks) {
    this.#hooks = hooks;
    this.#limit = hooks.buffersize;
    hooks.register(this);
    void this.#feed();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next value. Rejects with the task's error at its place (iteration may go on after it),
   * or `TimeoutError` when `timeout` ms pass first (the value will still come to a later call).
   */
  next(options?: WaitOptions): Promise<IteratorResult<R>> {
    try {
      checkOptions(options, `${this.#hooks.method} next`);
      const timeout = checkTimeout(options?.timeout, `${this.#hooks.method} next: timeout`);
      const signal = checkSignal(options?.signal, `${this.#hooks.method} next: signal`);
      const now = this.#take();
      if (now !== undefined) return now.ok ? Promise.resolve(now.result) : Promise.reject(now.error);
      return new Promise<IteratorResult<R>>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
          waiter.claim();
          reject(signal!.reason);
        };
        const waiter: Waiter<R> = {
          claim: () => {
            if (timer !== undefined) clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            const i = this.#waiters.indexOf(waiter);
            if (i >= 0) this.#waiters.splice(i, 1);
          },
          resolve,
          reject,
        };
        if (timeout !== undefined) {
          timer = setTimeout(() => {
            waiter.claim();
            reject(new TimeoutError(`Cannot get next result of ${this.#hooks.method}: not ready after ${timeout} ms`));
          }, timeout);
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#waiters.push(waiter);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops: reads no more items, cancels the chunks not sent yet, drops results not taken. */
  return(): Promise<IteratorResult<R>> {
    this.#close();
    for (const task of this.#tasks.values()) task.cancelled = true;
    this.#tasks.clear();
    this.#closeSource();
    return Promise.resolve({ done: true, value: undefined });
  }

  #closeSource(): void {
    try {
      const closing = this.#hooks.source.return?.();
      if (closing instanceof Promise) closing.catch(() => {});
    } catch {
      // The source's own cleanup failing is not the consumer's concern.
    }
  }

  /** What the next call gets now, if it need not wait. */
  #take(): Taken<R> | undefined {
    if (this.#outHead < this.#out.length) {
      const entry = this.#out[this.#outHead]!;
      this.#out[this.#outHead++] = undefined as unknown as Entry;
      if (this.#outHead === this.#out.length) {
        this.#out = [];
        this.#outHead = 0;
      }
      if (entry.last) this.#chunkConsumed();
      return entry.ok ? { ok: true, result: { done: false, value: entry.value as R } } : { ok: false, error: entry.value };
    }
    if (this.#failure !== undefined) return { ok: false, error: this.#failure.error };
    if (this.#closed || (this.#inputDone && this.#consumed === this.#submitted)) {
      this.#close();
      return { ok: true, result: { done: true, value: undefined } };
    }
    return undefined;
  }

  #chunkConsumed(): void {
    this.#consumed++;
    // Refill in bulk once half the buffer is free: one batch to the workers, not one per item.
    if (this.#submitted - this.#consumed <= this.#limit / 2) this.#feed();
  }

  #wakeWaiters(): void {
    // Taking the last value refills the buffer, which may find the input finished and come back
    // here: that inner call would see nothing left and end the iteration for the very waiter the
    // value is meant for, dropping it. The loop below serves whatever the refill changes.
    if (this.#waking) return;
    this.#waking = true;
    try {
      while (this.#waiters.length > 0) {
        const now = this.#take();
        // (taking the end closes the iterator, which answers every waiter itself)
        const waiter = this.#waiters[0];
        if (now === undefined || waiter === undefined) return;
        waiter.claim();
        if (now.ok) waiter.resolve(now.result);
        else waiter.reject(now.error);
      }
    } finally {
      this.#waking = false;
    }
  }

  /** Submits chunks until `buffersize` are out; sync sources without a promise per item. */
  #feed(): void {
    if (this.#pulling || this.#inputDone || this.#closed) return;
    const { source, chunksize } = this.#hooks;
    this.#pulling = true;
    try {
      while (!this.#inputDone && !this.#closed && this.#submitted - this.#consumed < this.#limit) {
        const chunk: unknown[] = [];
        while (chunk.length < chunksize) {
          const step = source.next();
          if (step instanceof Promise) {
            // An async source: finish this chunk (and the rest) the slow way.
            void this.#feedAsync(chunk, step);
            return;
          }
          if (step.done) {
            this.#inputDone = true;
            break;
          }
          chunk.push(step.value);
        }
        if (chunk.length > 0) this.#submit(chunk);
      }
    } catch (error) {
      this.#sourceFailed(error);
    }
    this.#pulling = false;
    if (this.#inputDone) this.#inputFinished();
  }

  async #feedAsync(chunk: unknown[], pending: Promise<IteratorResult<unknown>>): Promise<void> {
    const { source, chunksize } = this.#hooks;
    try {
      let step: IteratorResult<unknown> | Promise<IteratorResult<unknown>> = pending;
      for (;;) {
        step = await step;
        if (this.#closed || this.#failure !== undefined) return;
        if (step.done) this.#inputDone = true;
        else chunk.push(step.value);
        if (chunk.length === chunksize || (this.#inputDone && chunk.length > 0)) {
          this.#submit(chunk);
          chunk = [];
        }
        if (this.#inputDone || this.#submitted - this.#consumed >= this.#limit) break;
        step = source.next();
      }
    } catch (error) {
      this.#sourceFailed(error);
    } finally {
      this.#pulling = false;
    }
    if (this.#inputDone) this.#inputFinished();
    else if (!this.#closed && this.#submitted - this.#consumed < this.#limit) this.#feed();
    else if (this.#draining && !this.#closed && this.#failure === undefined) setImmediate(this.#drainStep);
  }

  #submit(chunk: unknown[]): void {
    const index = this.#submitted++;
    this.#tasks.set(index, this.#hooks.submit(chunk, this, index));
  }

  /** The iterable itself failed (or the pool refused): that error takes the next place. */
  #sourceFailed(error: unknown): void {
    this.#inputDone = true;
    if (!this.#closed) this[deliver](this.#submitted++, false, error);
  }

  #inputFinished(): void {
    if (this.#tasks.size === 0) this.#hooks.done();
    this.#wakeWaiters();
  }

  /** @internal A chunk finished. */
  [deliver](index: number, ok: boolean, value: unknown): void {
    if (this.#closed) return;
    this.#tasks.delete(index);
    if (this.#hooks.ordered) {
      if (index !== this.#next) {
        this.#early.set(index, { ok, value });
        return;
      }
      this.#push(ok, value);
      this.#next++;
      let early;
      while ((early = this.#early.get(this.#next)) !== undefined) {
        this.#early.delete(this.#next++);
        this.#push(early.ok, early.value);
      }
    } else {
      this.#push(ok, value);
    }
    if (this.#inputDone && this.#tasks.size === 0) this.#hooks.done();
    this.#wakeWaiters();
  }

  #push(ok: boolean, value: unknown): void {
    if (ok && this.#hooks.chunksize === 1) {
      this.#out.push({ ok: true, value, last: true });
      return;
    }
    if (!ok) {
      this.#out.push({ ok: false, value, last: true });
      return;
    }
    const values = value as unknown[];
    if (values.length === 0) return this.#chunkConsumed();
    for (let i = 0; i < values.length; i++) this.#out.push({ ok: true, value: values[i], last: i === values.length - 1 });
  }

  /**
   * @internal The closed pool is joined. Python's imap has read its whole iterable by then, so
   * `close(); join()` and then reading the results works: without a `buffersize` of the caller's,
   * read the rest now rather than wait for a consumer that comes after the join.
   */
  [drain](): void {
    if (this.#hooks.buffersizeGiven || this.#draining) return;
    this.#draining = true;
    this.#drainStep();
  }

  /**
   * One more buffer's worth a turn of the event loop, not the whole iterable at once: an endless
   * one (read by a loop that leaves with `break`) would never let join() return, nor the loop run.
   */
  readonly #drainStep = (): void => {
    // An async iterable being read calls this again when it reaches the limit (#feedAsync): its
    // items may come by microtasks alone, which would starve the event loop just the same.
    if (this.#closed || this.#inputDone || this.#failure !== undefined || this.#pulling) return;
    this.#limit = this.#submitted - this.#consumed + this.#hooks.buffersize;
    this.#feed();
    if (!this.#pulling && !this.#closed && !this.#inputDone && this.#failure === undefined) setImmediate(this.#drainStep);
  };

  /** @internal The pool was terminated, or the job's signal aborted. */
  [abandon](error: Error): void {
    if (this.#closed || this.#failure !== undefined) return;
    this.#failure = { error };
    for (const task of this.#tasks.values()) task.cancelled = true;
    this.#tasks.clear();
    this.#closeSource();
    this.#inputDone = true;
    this.#hooks.done();
    this.#hooks.unregister(this);
    for (const waiter of [...this.#waiters]) {
      waiter.claim();
      waiter.reject(error);
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hooks.done();
    this.#hooks.unregister(this);
    for (const waiter of [...this.#waiters]) {
      waiter.claim();
      waiter.resolve({ done: true, value: undefined });
    }
  }

  get [Symbol.toStringTag](): string {
    return "PoolIterator";
  }
}
