/**
 * One `abort` listener per signal, however many tasks share it: a pool given the same signal for
 * 100,000 tasks would otherwise hang 100,000 listeners on it (Node warns past ten), and it goes
 * once the last of them has settled.
 */
interface Fanout {
  readonly handlers: Set<() => void>;
  readonly listener: () => void;
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/** Runs `handler` when `signal` aborts; returns the function that unhooks it. */
export function onAbort(signal: AbortSignal, handler: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const handlers = new Set<() => void>();
    const listener = (): void => {
      fanouts.delete(signal);
      for (const run of handlers) run();
    };
    fanout = { handlers, listener };
    fanouts.set(signal, fanout);
    signal.addEventListener("abort", listener, { once: true });
  }
  const { handlers, listener } = fanout;
  handlers.add(handler);
  return () => {
    if (!handlers.delete(handler) || handlers.size > 0) return;
    signal.removeEventListener("abort", listener);
    if (fanouts.get(signal) === fanout) fanouts.delete(signal);
  };
}
