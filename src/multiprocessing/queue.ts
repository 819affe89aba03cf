/**
 * Process-shared `Queue` (`multiprocessing.Queue`), with the async API of `queue.Queue`.
 *
 * The items live in the process that made the queue (its owner), as the bytes they were sent as;
 * other processes reach it when it is passed to them (a `Process` argument, an item of another
 * queue). Like Python's queue, it moves items in batches behind the caller's back:
 *
 * - **put** on an unbounded queue resolves at once (Python's feeder thread): items are serialized
 *   immediately (an item that cannot cross rejects at once, naming what), gathered, and sent to the
 *   owner in batches. A child process finishes sending them before it exits (`joinThread`);
 *   `cancelJoinThread()` drops them instead. On a bounded queue, `put` waits for room in the owner.
 * - **get** fetches items in batches when the consumer keeps up: a process that empties what it got
 *   within a few milliseconds asks for twice as many next time (up to 256), one that is slow gets
 *   one at a time, so slow workers do not hoard items that others could take. Items fetched and not
 *   consumed go back to the front of the queue when the process exits normally (they are lost if it
 *   crashes, as an item Python's reader had taken off the pipe).
 *
 * `qsize()`, `empty()` and `full()` ask the owner (async), and ignore items in flight.
 */
import { checkOptions, checkSignal, checkTimeout, describe } from "../internal/options.js";
import { Empty } from "../queue/errors.js";
import type { QueueWaitOptions } from "../queue/queue.js";
import { OwnedQueue } from "./owned/queue.js";
import { SharedObject } from "./shared-object.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import { dumps, loads } from "./serialize.js";
import { atExitSync, beforeExit } from "./exit-hooks.js";
import { ProcessError } from "./errors.js";
import type { Dispatch } from "./server.js";
import { packItems, unpackItems } from "./item-batch.js";

export type { QueueWaitOptions } from "../queue/queue.js";

/** Items gathered before a batch is sent without waiting for the end of the current turn. */
const SEND_BATCH = 256;
/** Largest batch a consumer fetches. */
const MAX_PREFETCH = 256;
/** A batch emptied within this many milliseconds means the consumer keeps up. */
const KEEPING_UP_MS = 5;

function queueDispatch(state: OwnedQueue): Dispatch {
  return (method, args, _caller, signal) => {
    switch (method) {
      case "put":
        return state.put(unpackItems(args[0], "Queue.put"), args[1] as number | undefined, signal, args[2] === true);
      case "get":
        return state.get(args[0] as number, args[1] as number | undefined, signal).then(packItems);
      case "qsize":
        return state.size;
      case "full":
        return state.full();
      case "taskDone":
        return state.taskDone(args[0] as number);
      case "join":
        return state.join(args[0] as number | undefined, signal);
      default:
        throw new TypeError(`Cannot call ${method} on a queue`);
    }
  };
}

let rebuilding: { ref: SharedRef; maxsize: number } | undefined;

/** A FIFO queue shared between processes. */
export class Queue<T = unknown> extends SharedObject {
  readonly #maxsize: number;
  #closed = false;
  /** Aborted by close(): ends this process's gets and puts still waiting for the owner. */
  #closing: AbortController | undefined;
  #outgoing: Buffer[] = [];
  #sendScheduled = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  #sendError: Error | null = null;
  #exitHook: (() => void) | undefined;
  #exitSyncHook: (() => void) | undefined;
  #incoming: Uint8Array[] = [];
  #inHead = 0;
  #batch = 1;
  #batchAt = 0;

  /** @param maxsize at most this many items (0 or less: unbounded, the default, as Python's). */
  constructor(maxsize = 0) {
    const rebuilt = rebuilding;
    rebuilding = undefined;
    let ref: SharedRef;
    if (rebuilt !== undefined) {
      ref = rebuilt.ref;
      maxsize = rebuilt.maxsize;
    } else {
      if (!Number.isInteger(maxsize)) throw new RangeError(`${new.target.name}: maxsize must be an integer: got ${describe(maxsize)}`);
      maxsize = Math.max(0, maxsize);
      const state = new OwnedQueue(maxsize, (new.target as unknown as { joinable: boolean }).joinable);
      ref = SharedRef.serve(new.target.name, state, { dispatch: queueDispatch(state) });
    }
    super(ref);
    this.#maxsize = maxsize;
    rememberShared(ref, this);
  }

  /** Whether `put` counts unfinished tasks (JoinableQueue). */
  protected static readonly joinable: boolean = false;

  /** @internal */
  static fromRef<Q extends Queue>(this: new (maxsize?: number) => Q, ref: SharedRef, maxsize: number): Q {
    rebuilding = { ref, maxsize };
    return new this();
  }

  /** The bound given at creation (0: unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * Puts `item` (anything `v8.serialize` takes; shoal objects inside arrive working). Rejects at
   * once with a TypeError when it cannot cross; with `Full` when a bounded queue stays full for
   * `timeout` ms (at once with `block: false`).
   */
  async put(item: T, options: QueueWaitOptions = {}): Promise<void> {
    this.#checkOpen("put");
    checkOptions(options, `${this.constructor.name}.put`);
    const bytes = dumps(item, `${this.constructor.name}.put item`);
    if (this.#sendError !== null) throw this.#sendError;
    if (this.#maxsize === 0 && !this.ref.isOwner) {
      this.#outgoing.push(bytes);
      // A process.exit() before the batch goes runs no async code: the 'exit' event sends it.
      this.#exitSyncHook ??= atExitSync("hand over", () => this.#send());
      if (this.#outgoing.length >= SEND_BATCH) this.#send();
      else if (!this.#sendScheduled) {
        this.#sendScheduled = true;
        setImmediate(() => {
          this.#sendScheduled = false;
          this.#send();
        });
      }
      return;
    }
    const timeout = options.block === false ? 0 : checkTimeout(options.timeout, `${this.constructor.name}.put: timeout`);
    const signal = checkSignal(options.signal, `${this.constructor.name}.put: signal`);
    this.#send();
    await this.#waitOwner("put", [packItems([bytes]), timeout], signal);
  }

  /** `put(item, { block: false })`. */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /**
   * Removes and resolves the next item. Rejects `Empty` when none comes within `timeout` ms (at
   * once with `block: false`, after asking the owner).
   */
  async get(options: QueueWaitOptions = {}): Promise<T> {
    this.#checkOpen("get");
    checkOptions(options, `${this.constructor.name}.get`);
    if (this.#inHead < this.#incoming.length) return this.#takeLocal();
    const timeout = options.block === false ? 0 : checkTimeout(options.timeout, `${this.constructor.name}.get: timeout`);
    const signal = checkSignal(options.signal, `${this.constructor.name}.get: signal`);
    this.#send();
    if (this.ref.isOwner) {
      const [item] = unpackItems(await this.#waitOwner("get", [1, timeout], signal), "Queue.get");
      return loads(item!) as T;
    }
    this.#batch = performance.now() - this.#batchAt < KEEPING_UP_MS ? Math.min(this.#batch * 2, MAX_PREFETCH) : 1;
    const items = unpackItems(await this.#waitOwner("get", [this.#batch, timeout], signal), "Queue.get");
    if (items.length > 1) {
      this.#incoming = items;
      this.#inHead = 1;
      this.#exitHook ??= beforeExit(() => this.#atExit());
    }
    this.#batchAt = items.length > 1 ? Infinity : performance.now();
    return loads(items[0]!) as T;
  }

  /**
   * An item already fetched by this process, without asking the owner (a sync call cannot reach
   * it); throws `Empty` when there is none. Use `get({ block: false })` to ask the owner.
   */
  getNowait(): T {
    this.#checkOpen("get");
    if (this.#inHead < this.#incoming.length) return this.#takeLocal();
    throw new Empty("Cannot get an item: no item has been fetched by this process; use get({ block: false }) to ask the queue's owner");
  }

  /** The number of items in the owner (approximate: others may change it at once). */
  async qsize(): Promise<number> {
    this.#send();
    return ((await this.call("qsize", [])) as number) + (this.#incoming.length - this.#inHead);
  }

  /** Whether the queue is empty (approximate). */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  /** Whether a bounded queue is full (approximate). */
  async full(): Promise<boolean> {
    this.#send();
    return (await this.call("full", [])) as boolean;
  }

  /**
   * This process will use the queue no more: later `put`s and `get`s throw (Python's ValueError,
   * OSError for a SimpleQueue); items already put are still delivered.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#send();
    // A get (or a put waiting for room) of this process still waiting would wait forever, keeping
    // the process alive; an item that reached it first is still returned.
    this.#closing?.abort(new ProcessError(`Cannot get an item: the ${this.constructor.name} is closed`));
  }

  /** Waits until the items this process put have reached the owner. */
  async joinThread(): Promise<void> {
    this.#send();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    if (this.#sendError !== null) throw this.#sendError;
  }

  /** Do not wait for unsent items at exit (they may be lost). */
  cancelJoinThread(): void {
    this.#outgoing = [];
    this.#exitHook?.();
    this.#exitSyncHook?.();
  }

  /** A call that waits in the owner (a get, a bounded put), ended by close() too. */
  async #waitOwner(method: "get" | "put", args: unknown[], signal: AbortSignal | undefined): Promise<unknown> {
    const closing = (this.#closing ??= new AbortController()).signal;
    if (signal === undefined) return this.#callClosing(method, args, closing);
    const either = new AbortController();
    const onAbort = (): void => either.abort(signal.reason);
    const onClose = (): void => either.abort(closing.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    closing.addEventListener("abort", onClose, { once: true });
    try {
      return await this.#callClosing(method, args, either.signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
      closing.removeEventListener("abort", onClose);
    }
  }

  async #callClosing(method: "get" | "put", args: unknown[], signal: AbortSignal): Promise<unknown> {
    try {
      return await this.call(method, args, signal);
    } catch (error) {
      // The reason close() gave names a get: say what was waiting.
      if (method === "put" && error instanceof ProcessError && error === this.#closing?.signal.reason) {
        throw new ProcessError(`Cannot put an item: the ${this.constructor.name} is closed`);
      }
      throw error;
    }
  }

  #checkOpen(op: "get" | "put"): void {
    // Python's get() raises after close() too; a get waiting on a closed SimpleQueue never ended.
    if (this.#closed) throw new ProcessError(`Cannot ${op} an item: the ${this.constructor.name} is closed`);
  }

  #takeLocal(): T {
    const bytes = this.#incoming[this.#inHead]!;
    this.#inHead += 1;
    if (this.#inHead === this.#incoming.length) {
      this.#incoming = [];
      this.#inHead = 0;
      this.#batchAt = performance.now();
    }
    return loads(bytes) as T;
  }

  #send(): void {
    if (this.#outgoing.length === 0) return;
    const batch = this.#outgoing;
    this.#outgoing = [];
    this.#exitHook ??= beforeExit(() => this.#atExit());
    const sending = this.ref.post("put", [packItems(batch), undefined]).catch((error: Error) => {
      this.#sendError ??= error;
    });
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  async #atExit(): Promise<void> {
    await this.#giveBack();
    await this.joinThread().catch(() => undefined);
  }

  async #giveBack(): Promise<void> {
    const left = this.#incoming.slice(this.#inHead);
    this.#incoming = [];
    this.#inHead = 0;
    if (left.length > 0) await this.ref.call("put", [packItems(left), undefined, true]).catch(() => undefined);
  }
}

registerShared(
  "multiprocessing.Queue",
  import.meta.url,
  Queue,
  (ref, maxsize) => Queue.fromRef(ref, maxsize as number),
  (queue) => queue.maxsize,
);
