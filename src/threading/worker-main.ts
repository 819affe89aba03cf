/**
 * The entry of a worker Thread (`new Thread({ target, worker: true })`): becomes that Thread,
 * loads the target, decodes the arguments (shoal primitives arrive as the same primitives), runs
 * it, and reports an escaping exception to the parent's excepthook. Non-daemon Threads the target
 * started are joined before the worker ends, as Python's process waits for its threads.
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import { decodeFromTransferAsync } from "../internal/codec.js";
import { loadTask } from "../internal/task.js";
import { adoptWorkerSeeds } from "../internal/worker-seeds.js";
import "./index.js";
import { _becomeWorkerThread, enumerate, type WorkerStart } from "./thread.js";

const start = workerData as WorkerStart;
const me = _becomeWorkerThread({ name: start.name, ident: start.ident, daemon: start.daemon, nativeId: threadId });

try {
  await adoptWorkerSeeds(start.seeds);
  const target = (await loadTask(start.ref)) as (...args: unknown[]) => unknown;
  const args = (await decodeFromTransferAsync(start.args, "thread")) as unknown[];
  // `me` is this worker's fallback identity already (`_becomeWorkerThread`): the target runs
  // outside AsyncLocalStorage, whose promise hooks would make every `await` of it ~2.6x slower on
  // Node 20. Event-loop Threads the target starts still run inside their own store.
  await target(...args);
} catch (error) {
  report(error);
}
for (const thread of enumerate()) {
  if (thread !== me && !thread.daemon) await thread.join();
}
parentPort?.close();
process.exit(0);

function report(error: unknown): void {
  try {
    parentPort?.postMessage({ type: "error", error });
  } catch {
    const e = error as { name?: string; message?: string; stack?: string };
    const copy = new Error(e?.message ?? String(error));
    copy.name = e?.name ?? "Error";
    if (e?.stack) copy.stack = e.stack;
    parentPort?.postMessage({ type: "error", error: copy });
  }
}
