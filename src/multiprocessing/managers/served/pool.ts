/**
 * The server side of a managed `Pool`: a process pool living in the manager's server process.
 * Functions arrive as task references (`internal/task.ts`), made by the proxy.
 */
import { Pool } from "../../pool/pool.js";
import { isTaskRef, type TaskRef } from "../../../internal/task.js";
import { describe } from "../../../internal/options.js";

function checkRef(fn: unknown, where: string): TaskRef {
  if (!isTaskRef(fn)) throw new TypeError(`${where}: expected a task reference: got ${describe(fn)}`);
  return fn;
}

function checkItems(items: unknown, where: string): unknown[] {
  if (!Array.isArray(items)) throw new TypeError(`${where}: expected an array: got ${describe(items)}`);
  return items;
}

export class ServedPool {
  readonly #pool: Pool;

  constructor(options?: { processes?: number | undefined; maxtasksperchild?: number | null | undefined }) {
    this.#pool = new Pool({ processes: options?.processes, maxtasksperchild: options?.maxtasksperchild });
  }

  apply(fn: unknown, args: unknown): Promise<unknown> {
    return this.#pool.apply(checkRef(fn, "Pool.apply"), checkItems(args ?? [], "Pool.apply args") as never);
  }

  map(fn: unknown, items: unknown, options?: { chunksize?: number }): Promise<unknown[]> {
    return this.#pool.map(checkRef(fn, "Pool.map") as TaskRef<(item: never) => unknown>, checkItems(items, "Pool.map items") as never[], { chunksize: options?.chunksize });
  }

  starmap(fn: unknown, items: unknown, options?: { chunksize?: number }): Promise<unknown[]> {
    return this.#pool.starmap(checkRef(fn, "Pool.starmap"), checkItems(items, "Pool.starmap items") as never[], { chunksize: options?.chunksize });
  }

  close(): void {
    this.#pool.close();
  }

  terminate(): Promise<void> {
    return this.#pool.terminate();
  }

  join(): Promise<void> {
    return this.#pool.join();
  }
}
