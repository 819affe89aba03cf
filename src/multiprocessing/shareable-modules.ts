/**
 * The modules from which this layer rebuilds shoal objects received from another process. A value
 * arriving over a socket names, for each shoal object inside, the module that knows how to rebuild
 * it; a receiver that has not loaded that module yet imports it. Importing runs code, so what a peer
 * sends may name only these: the modules that register process-crossing kinds, and nothing else of
 * shoal either (not a process's main module, which would take over the process it is imported in).
 */
import { isOwnModule } from "../internal/codec.js";

const PATHS = [
  "./queue.js",
  "./simple-queue.js",
  "./joinable-queue.js",
  "./lock.js",
  "./rlock.js",
  "./semaphore.js",
  "./condition.js",
  "./event.js",
  "./barrier.js",
  "./value.js",
  "./handles.js",
  "./managers/proxy-codec.js",
];

/** The URLs of the modules that register the kinds crossing between processes. */
export const SHAREABLE_MODULES: ReadonlySet<string> = new Set(PATHS.map((path) => new URL(path, import.meta.url).href));

/** Whether a received marker may make this process import `module` (`decodeFromTransferAsync`'s `canImport`). */
export function isShareableModule(module: string): boolean {
  return SHAREABLE_MODULES.has(module) && isOwnModule(module);
}
