/**
 * The entry of a `WorkerProcess` (the "worker" start method): takes the identity its parent gave
 * it (so that `currentProcess().name` is its name), loads the target, decodes the arguments
 * (shoal's thread primitives arrive shared), runs it, and ends the thread with Python's exit
 * codes: 0 after the target returns (or the `process.exitCode` it set), 1 after it throws ("Process NAME:" and the stack on stderr),
 * or the code the target gave `process.exit`.
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import { decodeFromTransferAsync } from "../internal/codec.js";
import { loadTask, type TaskRef } from "../internal/task.js";
import { adoptIdentity, type Self } from "./process.js";
import { adoptSeed, type RegistrySeed } from "./shared-memory-registry.js";
import { _becomeWorkerThread } from "../threading/thread.js";
import { newIdent } from "../threading/current.js";

/** What the parent sends. @internal */
export interface WorkerProcessStart {
  ref: TaskRef;
  args: unknown;
  identity: Self;
  /** The parent's SharedMemory names, so that this thread finds them by name. */
  sharedMemory?: RegistrySeed;
}

const start = workerData as WorkerProcessStart;
adoptSeed(start.sharedMemory);
adoptIdentity({ ...start.identity, authkey: Buffer.from(start.identity.authkey) });
// The thread of a process is that process's main thread, as Python's child processes see it (with
// an ident of its own, which RLock ownership rests on).
_becomeWorkerThread({ name: "MainThread", ident: newIdent(), daemon: false, nativeId: threadId });

try {
  const target = (await loadTask(start.ref)) as (...args: unknown[]) => unknown;
  const args = (await decodeFromTransferAsync(start.args, "thread")) as unknown[];
  await target(...args);
  // A target may set process.exitCode (this thread's), as a spawned child's does.
  process.exit(process.exitCode ?? 0);
} catch (error) {
  // The parent prints it: a worker's own stderr is relayed asynchronously, and a parent that ends
  // when its last worker does could exit before the relay.
  parentPort?.postMessage({ type: "error", report: (error as Error)?.stack ?? String(error) });
  process.exit(1);
}
