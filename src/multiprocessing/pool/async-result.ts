/**
 * `AsyncResult`: the handle `applyAsync` and `mapAsync` return (Python's `ApplyResult`).
 *
 * Inspectable (`ready()`, `successful()`), waitable with a timeout (`get`, `wait`), and awaitable
 * (`PromiseLike`). No promise exists until someone awaits it, so a result nobody looks at costs
 * one object, and a failure nobody looks at is not an unhandled rejection.
 */
import { checkOptions, checkSignal, checkTimeout, type WaitOptions } from "../../internal/options.js";
import { TimeoutError } from "../errors.js";
import { abandon, deliver, type TaskSink } from "./sink.js";

/** Callbacks of an asynchronous call; they run in the calling thread, in completion order. */
export interface ResultCallbacks<R> {
  /** Called with the value when the call succeeds. */
  callback?: ((value: R) => void) | undefined;
  /** Called with the error when the call fails. */
  errorCallback?: ((error: Error) => void) | undefined;
}

type State = "pending" | "fulfilled" | "rejected";

/** Settles a result (used by the pool and by `MapResult`). */
export const settle: unique symbol = Symbol("shoal.pool.settle");
/** Registers a function to run once when the result settles (the pool unhooks its abort listener). */
export const whenSettled: unique symbol = Symbol("shoal.pool.whenSettled");
/** The result as a promise (what `apply` and `map` return), without a thenable hop. */
export const asPromise: unique symbol = Symbol("shoal.pool.asPromise");

export class AsyncResult<R> implements PromiseLike<R>, TaskSink {
  #state: State = "pending";
  #value: unknown;
  #callbacks: ResultCallbacks<R> | undefined;
  #wakers: Array<() => void> | undefined;
  #promise: Promise<R> | undefined;
  #settlers: { resolve(value: R): void; reject(error: unknown): void } | undefined;
  readonly #job: string;
  #onSettled: (() => void) | undefined;

  /** @internal Made by the pool. */
  constructor(callbacks: ResultCallbacks<R> | undefined, job: string) {
    this.#callbacks = callbacks;
    this.#job = job;
  }

  /** Whether the call has completed (successfully or not). */
  ready(): boolean {
    return this.#state !== "pending";
  }

  /**
   * Whether the call completed without an error.
   * @throws RangeError when it has not completed yet (Python's `ValueError`).
   */
  successful(): boolean {
    if (this.#state === "pending") throw new RangeError(`Cannot tell whether ${this.#job} succeeded: it is not ready`);
    return this.#state === "fulfilled";
  }

  /**
   * Waits until the result is ready or `timeout` ms pass. Resolves `ready()` (Python returns
   * None; the boolean says which happened). Rejects with the signal's reason on abort.
   */
  wait(options: WaitOptions = {}): Promise<boolean> {
    try {
      checkOptions(options, "AsyncResult.wait");
      const timeout = checkTimeout(options.timeout, "AsyncResult.wait: timeout");
      const signal = checkSignal(options.signal, "AsyncResult.wait: signal");
      if (this.#state !== "pending") return Promise.resolve(true);
      return this.#until(timeout, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The value, when it arrives. Rejects with the task's error (its remote stack as `cause`), or
   * with `TimeoutError` when `timeout` ms pass first (the call goes on; ask again later).
   */
  async get(options: WaitOptions = {}): Promise<R> {
    checkOptions(options, "AsyncResult.get");
    const timeout = checkTimeout(options.timeout, "AsyncResult.get: timeout");
    const signal = checkSignal(options.signal, "AsyncResult.get: signal");
    if (this.#state === "pending" && !(await this.#until(timeout, signal))) {
      throw new TimeoutError(`Cannot get result of ${this.#job}: not ready after ${timeout} ms`);
    }
    if (this.#state === "rejected") throw this.#value;
    return this.#value as R;
  }

  then<A = R, B = never>(
    onfulfilled?: ((value: R) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this[asPromise]().then(onfulfilled, onrejected);
  }

  /** @internal */
  [asPromise](): Promise<R> {
    if (this.#promise === undefined) {
      this.#promise =
        this.#state === "fulfilled" ? Promise.resolve(this.#value as R)
        : this.#state === "rejected" ? Promise.reject(this.#value)
        : new Promise<R>((resolve, reject) => {
            this.#settlers = { resolve, reject };
          });
    }
    return this.#promise;
  }

  #until(timeout: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const forget = (): void => {
        const i = this.#wakers?.indexOf(wake) ?? -1;
        if (i >= 0) this.#wakers!.splice(i, 1);
      };
      const onAbort = (): void => {
        forget();
        if (timer !== undefined) clearTimeout(timer);
        reject(signal!.reason);
      };
      (this.#wakers ??= []).push(wake);
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          forget();
          signal?.removeEventListener("abort", onAbort);
          resolve(false);
        }, timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** @internal */
  [whenSettled](fn: () => void): void {
    if (this.#state !== "pending") fn();
    else this.#onSettled = fn;
  }

  /** @internal Settles the result once: later calls are ignored. Runs the callback. */
  [settle](ok: boolean, value: unknown): void {
    if (this.#state !== "pending") return;
    this.#state = ok ? "fulfilled" : "rejected";
    this.#value = value;
    const onSettled = this.#onSettled;
    this.#onSettled = undefined;
    onSettled?.();
    const callbacks = this.#callbacks;
    this.#callbacks = undefined;
    const wakers = this.#wakers;
    this.#wakers = undefined;
    if (wakers !== undefined) for (const wake of wakers) wake();
    const settlers = this.#settlers;
    if (settlers !== undefined) {
      this.#settlers = undefined;
      if (ok) settlers.resolve(value as R);
      else settlers.reject(value);
    }
    const callback = ok ? callbacks?.callback : callbacks?.errorCallback;
    if (callback !== undefined) {
      try {
        (callback as (v: unknown) => void)(value);
      } catch (error) {
        // A throwing callback must not break the pool's bookkeeping: report it as uncaught.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** @internal */
  [deliver](_index: number, ok: boolean, value: unknown): void {
    this[settle](ok, value);
  }

  /** @internal */
  [abandon](error: Error): void {
    this[settle](false, error);
  }

  get [Symbol.toStringTag](): string {
    return "AsyncResult";
  }
}
