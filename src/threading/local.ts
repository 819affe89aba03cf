/**
 * Local: Python's `threading.local`, a value per thread. Each event-loop Thread, each worker
 * thread, and plain code outside any Thread (which belongs to the thread it runs on) sees its own.
 * Attribute syntax (`local.x = 1`) would need a Proxy; it offers typed `get`/`set` instead.
 */
import { currentIdentity, type ThreadIdentity } from "./current.js";

/** A value per thread. */
export class Local<T> {
  readonly #values = new WeakMap<ThreadIdentity, T>();
  readonly #initial: (() => T) | undefined;

  /** @param initial makes the value a thread sees first (else `get()` returns undefined). */
  constructor(initial?: () => T) {
    if (initial !== undefined && typeof initial !== "function") throw new TypeError("Local: initial must be a function");
    this.#initial = initial;
  }

  /** This thread's value. */
  get(): T | undefined {
    const thread = currentIdentity();
    if (this.#values.has(thread)) return this.#values.get(thread);
    if (this.#initial === undefined) return undefined;
    const value = this.#initial();
    this.#values.set(thread, value);
    return value;
  }

  /** Sets this thread's value. */
  set(value: T): void {
    this.#values.set(currentIdentity(), value);
  }

  /** Whether this thread has a value. */
  has(): boolean {
    return this.#values.has(currentIdentity());
  }

  /** Forgets this thread's value. */
  delete(): boolean {
    return this.#values.delete(currentIdentity());
  }
}
