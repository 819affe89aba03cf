/**
 * Module functions of `multiprocessing` that are not about one object: `cpuCount()` and friends.
 */
import { availableParallelism, cpus } from "node:os";
import { isEntryModule } from "../internal/entry-script.js";

/** The number of CPUs this process may use (`os.availableParallelism()`, honouring affinity). */
export function cpuCount(): number {
  return typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
}

/** Python 3.13's `process_cpu_count()`: the same as `cpuCount()` here. */
export function processCpuCount(): number {
  return cpuCount();
}

/**
 * Whether the module whose `import.meta` is given is the program's entry point: the
 * `if __name__ == "__main__":` guard. A child process imports the module of an exported target
 * (as Python's spawn re-imports the main module), so code that starts processes at the top level
 * must sit behind this guard.
 */
export function isMainModule(meta: ImportMeta): boolean {
  return isEntryModule(meta.url);
}
