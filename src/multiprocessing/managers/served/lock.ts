/**
 * The server side of a managed `Lock`. Any client may release it (as Python's `Lock`), and the
 * server remembers which connection holds it: when that connection ends (the client process died
 * or closed it without releasing), the server releases the lock and says so on its stderr. See
 * docs/manager.md, "A client dies holding a lock".
 */
import { ThreadError } from "../../../threading/errors.js";
import { kContextual, waitOptions, type CallContext, type Contextual } from "./context.js";
import { Waiters, deadline, left } from "./waiters.js";
import { reportAbandoned } from "./abandoned.js";

export class ServedLock implements Contextual {
  readonly [kContextual] = true as const;
  #holder: CallContext | null = null;
  #unhook: (() => void) | null = null;
  readonly #waiters = new Waiters();
  /** How many times a holder's disconnection released this lock. */
  abandoned = 0;

  async acquire(ctx: CallContext, options?: unknown): Promise<boolean> {
    const { block, timeout } = waitOptions(options, "Lock.acquire");
    if (this.#holder === null) return this.#take(ctx);
    if (!block) return false;
    const end = deadline(timeout);
    while (this.#holder !== null) {
      if (!(await this.#waiters.wait(ctx, left(end)))) {
        if (this.#holder === null) break;
        return false;
      }
    }
    return this.#take(ctx);
  }

  release(_ctx: CallContext): void {
    if (this.#holder === null) throw new ThreadError("Cannot release lock: lock is not acquired");
    this.#free();
  }

  locked(_ctx: CallContext): boolean {
    return this.#holder !== null;
  }

  /** Whether the call's session holds the lock (Condition checks ownership with it). @internal */
  heldBy(ctx: CallContext): boolean {
    return this.#holder !== null && this.#holder.session === ctx.session;
  }

  #take(ctx: CallContext): boolean {
    this.#holder = ctx;
    this.#unhook = ctx.session.onDrop(() => {
      this.abandoned += 1;
      reportAbandoned("Lock", ctx.session);
      this.#free();
    });
    return true;
  }

  #free(): void {
    this.#holder = null;
    this.#unhook?.();
    this.#unhook = null;
    this.#waiters.notify(1);
  }
}

/** The server side of a managed `RLock`: owned by one thread of one client, re-entrant. */
export class ServedRLock implements Contextual {
  readonly [kContextual] = true as const;
  #owner: string | null = null;
  #session: CallContext["session"] | null = null;
  #count = 0;
  #unhook: (() => void) | null = null;
  readonly #waiters = new Waiters();
  abandoned = 0;

  async acquire(ctx: CallContext, options?: unknown): Promise<boolean> {
    const { block, timeout } = waitOptions(options, "RLock.acquire");
    const me = `${ctx.session.id}:${ctx.thread}`;
    if (this.#owner === me) {
      this.#count += 1;
      return true;
    }
    if (this.#owner !== null) {
      if (!block) return false;
      const end = deadline(timeout);
      while (this.#owner !== null) {
        if (!(await this.#waiters.wait(ctx, left(end))) && this.#owner !== null) return false;
      }
    }
    this.#owner = me;
    this.#session = ctx.session;
    this.#count = 1;
    this.#unhook = ctx.session.onDrop(() => {
      this.abandoned += 1;
      reportAbandoned("RLock", ctx.session);
      this.#free();
    });
    return true;
  }

  release(ctx: CallContext): void {
    if (this.#owner !== `${ctx.session.id}:${ctx.thread}`) throw new ThreadError("Cannot release lock: lock is not acquired by this thread");
    this.#count -= 1;
    if (this.#count === 0) this.#free();
  }

  locked(_ctx: CallContext): boolean {
    return this.#owner !== null;
  }

  /** @internal Condition support: whether the calling thread owns it. */
  heldBy(ctx: CallContext): boolean {
    return this.#owner === `${ctx.session.id}:${ctx.thread}`;
  }

  /** @internal Condition support: releases all levels, returning the count to restore. */
  releaseAll(ctx: CallContext): number {
    if (!this.heldBy(ctx)) throw new ThreadError("Cannot release lock: lock is not acquired by this thread");
    const count = this.#count;
    this.#free();
    return count;
  }

  /** @internal Condition support: re-acquires with a saved count. */
  async restore(ctx: CallContext, count: number): Promise<void> {
    await this.acquire(ctx);
    this.#count = count;
  }

  get session(): CallContext["session"] | null {
    return this.#session;
  }

  #free(): void {
    this.#owner = null;
    this.#session = null;
    this.#count = 0;
    this.#unhook?.();
    this.#unhook = null;
    this.#waiters.notify(1);
  }
}
