/**
 * `Pool`: Python's `multiprocessing.Pool`, on child processes.
 *
 * ```ts
 * import { Pool } from "shoal/multiprocessing";
 * import { square } from "./work.js";           // an exported function: typed end to end
 *
 * const pool = new Pool({ processes: 4 });
 * const nine = await pool.apply(square, [3]);     // number
 * const squares = await pool.map(square, [1, 2, 3]);
 * pool.close();
 * await pool.join();
 * ```
 */
import { BasePool, type PoolOptions } from "./base-pool.js";
import { ProcessLink, type ProcessLinkOptions } from "./process-link.js";
import { checkSpawnOptions } from "../process.js";
import { describe } from "../../internal/options.js";

/** Options of `new Pool()`. */
export interface ProcessPoolOptions extends PoolOptions, ProcessLinkOptions {
  /**
   * Python's `context=`: the context whose processes the pool runs on. Only the "spawn" context's
   * are processes; the "worker" context's pool is `getContext("worker").Pool` (a ThreadPool).
   */
  context?: { getStartMethod(): string } | undefined;
}

export class Pool extends BasePool {
  /**
   * Starts `processes` worker processes (default `cpuCount()`).
   * @throws RangeError for a bad `processes` or `maxtasksperchild`; TypeError for an initializer
   *   that cannot be sent to another process, or an `execArgv`, `env` or `stderr` of the wrong type.
   */
  constructor(options: ProcessPoolOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`Pool: options must be an object: got ${describe(options)}`);
    const method = options.context?.getStartMethod();
    if (method !== undefined && method !== "spawn") {
      throw new TypeError(`Pool: context: a "${method}" context's pool is getContext("${method}").Pool (a ThreadPool); new Pool() runs processes ("spawn")`);
    }
    checkSpawnOptions(options, "Pool");
    const { stderr } = options;
    if (stderr !== undefined && stderr !== null && typeof (stderr as { write?: unknown }).write !== "function") {
      throw new TypeError(`Pool: stderr must be a writable stream (or null to drop it): got ${describe(stderr)}`);
    }
    const linkOptions: ProcessLinkOptions = { execArgv: options.execArgv, env: options.env, stderr };
    super(options, "process", "Pool", (name, events) => new ProcessLink(name, events, linkOptions));
  }

  get [Symbol.toStringTag](): string {
    return "Pool";
  }
}
