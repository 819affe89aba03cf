/**
 * Work a child process finishes before it exits, after its target returns: queues flush the items
 * still being sent (Python's `Queue.join_thread()` at exit). Hooks run in registration order.
 */
const hooks = new Set<() => Promise<void>>();

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
