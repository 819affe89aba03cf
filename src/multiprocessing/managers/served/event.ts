/** The server side of a managed `Event`. */
import { kContextual, waitOptions, type CallContext, type Contextual } from "./context.js";
import { Waiters } from "./waiters.js";

export class ServedEvent implements Contextual {
  readonly [kContextual] = true as const;
  #flag = false;
  readonly #waiters = new Waiters();

  isSet(_ctx: CallContext): boolean {
    return this.#flag;
  }

  set(_ctx: CallContext): void {
    this.#flag = true;
    this.#waiters.notifyAll();
  }

  clear(_ctx: CallContext): void {
    this.#flag = false;
  }

  async wait(ctx: CallContext, options?: unknown): Promise<boolean> {
    const { timeout } = waitOptions(options, "Event.wait");
    if (this.#flag) return true;
    await this.#waiters.wait(ctx, timeout);
    return this.#flag;
  }
}
