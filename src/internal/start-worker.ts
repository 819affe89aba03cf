/**
 * Starts a worker thread on one of shoal's entry modules, with this process's Node flags.
 *
 * Handing the worker `process.execArgv` would fail in two ways:
 * - Node refuses, in a worker's `execArgv`, the flags that act on the whole process: V8's
 *   (`--expose-gc`, `--max-old-space-size`) and per-process ones (`--title`). They throw
 *   ERR_WORKER_INVALID_EXEC_ARGV, though they hold for every thread anyway. Left unset, `execArgv`
 *   is inherited as Node does by default, and those flags are simply in effect.
 * - An inherited `--input-type` (`node --input-type=module -e '...'`) makes Node refuse to load any
 *   file as the worker's main module. So the worker starts from a one-line eval that imports the
 *   entry: eval input is what that flag is for.
 */
import { Worker, type WorkerOptions } from "node:worker_threads";

export function startWorker(entry: URL, options: Omit<WorkerOptions, "eval">): Worker {
  return new Worker(`import(${JSON.stringify(entry.href)});`, { ...options, eval: true });
}
