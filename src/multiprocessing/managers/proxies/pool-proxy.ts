/**
 * `PoolProxy`: a process pool held by the manager's server (Python's `SyncManager.Pool`). The
 * functions must be loadable there: exported module functions, self-contained functions or
 * `task(import.meta.url, "name")`.
 */
import { BaseProxy } from "../base-proxy.js";
import { toTaskRef, type TaskFunction, type TaskRef } from "../../../internal/task.js";
import { AsyncResult, settle, type ResultCallbacks } from "../../pool/async-result.js";

/** An `AsyncResult` settled by a call's promise. */
function asResult<R>(promise: Promise<R>, callbacks: ResultCallbacks<R> | undefined, job: string): AsyncResult<R> {
  const result = new AsyncResult<R>(callbacks, job);
  promise.then(
    (value) => result[settle](true, value),
    (error: unknown) => result[settle](false, error),
  );
  return result;
}

export class PoolProxy extends BaseProxy {
  apply<F extends TaskFunction>(fn: F | TaskRef<F>, args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    return this.call("apply", [toTaskRef(fn, "Pool.apply func"), args]) as Promise<Awaited<ReturnType<F>>>;
  }

  map<F extends (item: never) => unknown>(fn: F | TaskRef<F>, items: Iterable<Parameters<F>[0]>, options: { chunksize?: number } = {}): Promise<Array<Awaited<ReturnType<F>>>> {
    return this.call("map", [toTaskRef(fn, "Pool.map func"), [...items], options]) as Promise<Array<Awaited<ReturnType<F>>>>;
  }

  starmap<F extends TaskFunction>(fn: F | TaskRef<F>, items: Iterable<Parameters<F>>, options: { chunksize?: number } = {}): Promise<Array<Awaited<ReturnType<F>>>> {
    return this.call("starmap", [toTaskRef(fn, "Pool.starmap func"), [...items], options]) as Promise<Array<Awaited<ReturnType<F>>>>;
  }

  /** `apply`, as an `AsyncResult` (`get({ timeout })`, `wait`, `ready`, `successful`, callbacks). */
  applyAsync<F extends TaskFunction>(fn: F | TaskRef<F>, args: Parameters<F>, callbacks?: ResultCallbacks<Awaited<ReturnType<F>>>): AsyncResult<Awaited<ReturnType<F>>> {
    return asResult(this.apply(fn, args), callbacks, "Pool.applyAsync");
  }

  /** `map`, as an `AsyncResult`. */
  mapAsync<F extends (item: never) => unknown>(
    fn: F | TaskRef<F>,
    items: Iterable<Parameters<F>[0]>,
    options: { chunksize?: number } & ResultCallbacks<Array<Awaited<ReturnType<F>>>> = {},
  ): AsyncResult<Array<Awaited<ReturnType<F>>>> {
    const { callback, errorCallback, ...mapOptions } = options;
    return asResult(this.map(fn, items, mapOptions), { callback, errorCallback }, "Pool.mapAsync");
  }

  /** `starmap`, as an `AsyncResult`. */
  starmapAsync<F extends TaskFunction>(
    fn: F | TaskRef<F>,
    items: Iterable<Parameters<F>>,
    options: { chunksize?: number } & ResultCallbacks<Array<Awaited<ReturnType<F>>>> = {},
  ): AsyncResult<Array<Awaited<ReturnType<F>>>> {
    const { callback, errorCallback, ...mapOptions } = options;
    return asResult(this.starmap(fn, items, mapOptions), { callback, errorCallback }, "Pool.starmapAsync");
  }

  /**
   * The results in order, as an async iterable. Through a manager they arrive together, once the
   * whole map is done (one call to the server, as `map`); use a Pool of your own to stream them.
   */
  async *imap<F extends (item: never) => unknown>(fn: F | TaskRef<F>, items: Iterable<Parameters<F>[0]>, options: { chunksize?: number } = {}): AsyncGenerator<Awaited<ReturnType<F>>> {
    yield* await this.map(fn, items, options);
  }

  /** As `imap` (the order is the items' order here, which is one of the orders Python allows). */
  imapUnordered<F extends (item: never) => unknown>(fn: F | TaskRef<F>, items: Iterable<Parameters<F>[0]>, options: { chunksize?: number } = {}): AsyncGenerator<Awaited<ReturnType<F>>> {
    return this.imap(fn, items, options);
  }

  async close(): Promise<void> {
    await this.call("close", []);
  }

  async terminate(): Promise<void> {
    await this.call("terminate", []);
  }

  async join(): Promise<void> {
    await this.call("join", []);
  }
}
