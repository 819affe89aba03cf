/**
 * The server side of a managed `Condition`, over a served `Lock` or `RLock` (an `RLock` of its own
 * by default, as in Python).
 */
import { ThreadError } from "../../../threading/errors.js";
import { CallCancelled, kContextual, waitOptions, type CallContext, type Contextual } from "./context.js";
import { ServedLock, ServedRLock } from "./lock.js";
import { Waiters } from "./waiters.js";

export class ServedCondition implements Contextual {
  readonly [kContextual] = true as const;
  readonly #lock: ServedLock | ServedRLock;
  readonly #waiters = new Waiters();

  constructor(lock?: ServedLock | ServedRLock) {
    this.#lock = lock ?? new ServedRLock();
  }

  acquire(ctx: CallContext, options?: unknown): Promise<boolean> {
    return this.#lock.acquire(ctx, options);
  }

  release(ctx: CallContext): void {
    this.#lock.release(ctx);
  }

  async wait(ctx: CallContext, options?: unknown): Promise<boolean> {
    const { timeout } = waitOptions(options, "Condition.wait");
    if (!this.#lock.heldBy(ctx)) throw new ThreadError("Cannot wait on condition: lock is not acquired");
    const lock = this.#lock;
    const saved = lock instanceof ServedRLock ? lock.releaseAll(ctx) : (lock.release(ctx), 1);
    let notified: boolean;
    try {
      notified = await this.#waiters.wait(ctx, timeout);
    } catch (error) {
      if (error instanceof CallCancelled && ctx.session.dropped) throw error;
      await this.#reacquire(ctx, saved);
      throw error;
    }
    await this.#reacquire(ctx, saved);
    return notified;
  }

  notify(ctx: CallContext, n = 1): void {
    if (!this.#lock.heldBy(ctx)) throw new ThreadError("Cannot notify on condition: lock is not acquired");
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Condition.notify: n must be a non-negative integer: got ${n}`);
    this.#waiters.notify(n);
  }

  notifyAll(ctx: CallContext): void {
    if (!this.#lock.heldBy(ctx)) throw new ThreadError("Cannot notify on condition: lock is not acquired");
    this.#waiters.notifyAll();
  }

  async #reacquire(ctx: CallContext, saved: number): Promise<void> {
    // Re-taking the lock is not cancellable by the call's own signal (it may have aborted): use a
    // context that aborts only if the client goes away.
    const keep: CallContext = { session: ctx.session, thread: ctx.thread, signal: sessionSignal(ctx) };
    if (this.#lock instanceof ServedRLock) await this.#lock.restore(keep, saved);
    else await this.#lock.acquire(keep);
  }
}

function sessionSignal(ctx: CallContext): AbortSignal {
  const controller = new AbortController();
  if (ctx.session.dropped) controller.abort();
  else ctx.session.onDrop(() => controller.abort());
  return controller.signal;
}
