/**
 * `PoolProxy`: a process pool held by the manager's server (Python's `SyncManager.Pool`). The
 * functions must be loadable there: exported module functions, self-contained functions or
 * `task(import.meta.url, "name")`.
 */
import { BaseProxy } from "../base-proxy.js";
import { toTaskRef, type TaskFunction, type TaskRef } from "../../../internal/task.js";

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
