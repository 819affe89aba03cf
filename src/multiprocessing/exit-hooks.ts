/**
 * Work a process finishes before it exits.
 *
 * After a child's target returns, the async hooks run: queues flush the items still being sent
 * (Python's `Queue.join_thread()` at exit), in registration order.
 *
 * A process that ends with `process.exit()` (the documented way to set an exit code) runs no async
 * code any more, only the `'exit'` event's listeners: there the sync hooks run, those that hand
 * over what is still waiting to be sent (a queue's batch) first, then those that write it out
 * (the clients of the owners, with blocking writes).
 */
const hooks = new Set<() => Promise<void>>();
const handOver = new Set<() => void>();
const writeOut = new Set<() => void>();
let listening = false;

/** Registers `hook`; returns a function that unregisters it. */
export function beforeExit(hook: () => Promise<void>): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Runs every registered hook (errors are reported, not thrown). @internal */
export async function runExitHooks(): Promise<void> {
  for (const hook of [...hooks]) {
    try {
      await hook();
    } catch (error) {
      process.stderr.write(`shoal: flushing before exit failed: ${(error as Error)?.stack ?? String(error)}\n`);
    }
  }
}

/**
 * Registers a sync hook run at the `'exit'` event: `stage` "hand over" runs before "write out".
 * Returns a function that unregisters it.
 */
export function atExitSync(stage: "hand over" | "write out", hook: () => void): () => void {
  const set = stage === "hand over" ? handOver : writeOut;
  set.add(hook);
  if (!listening) {
    listening = true;
    process.on("exit", runSyncHooks);
  }
  return () => set.delete(hook);
}

function runSyncHooks(): void {
  // Handing over may make the first client, which registers its write-out then: read it after.
  runEach([...handOver]);
  runEach([...writeOut]);
}

function runEach(hooks: Array<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch (error) {
      process.stderr.write(`shoal: flushing at exit failed: ${(error as Error)?.stack ?? String(error)}\n`);
    }
  }
}
