/** Targets of bench/multiprocessing/value.bench.ts, in a module of their own for the workers to import. */
import type { ThreadValue } from "../../src/multiprocessing/index.js";
import type { Event } from "../../src/threading/index.js";

/** Python's `with v.get_lock(): v.value += 1`, n times, once `go` is set. */
export function incrementLocked(v: ThreadValue<"i">, n: number, ready: Event, go: Event): void {
  ready.set();
  go.waitSync();
  const lock = v.getLock();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    v.value += 1;
    lock.release();
  }
}

/** The same count with `add`, one atomic step each, no lock. */
export function incrementAtomic(v: ThreadValue<"i">, n: number, ready: Event, go: Event): void {
  ready.set();
  go.waitSync();
  for (let i = 0; i < n; i++) v.add(1);
}
