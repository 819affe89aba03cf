/**
 * Queue: Python's `queue.Queue`, shared by async tasks and threads.
 *
 * Built as CPython builds it: one Lock (`mutex`) and three Conditions over it (`notEmpty`,
 * `notFull`, `allTasksDone`) guard a storage reached only through the `_init/_qsize/_put/_get`
 * hooks, so LifoQueue and PriorityQueue are a few lines each.
 *
 * Two storages, one queue:
 * - In one thread the storage holds the items themselves, so `get` returns the very object that
 *   was `put`. Nothing else can run between two lines of synchronous code there, so a put or get
 *   that needs not wait goes straight to the storage; the lock is taken only to wait or to notify.
 * - When the queue first crosses to a worker thread (as a Thread argument, or inside an item of
 *   another queue), its items move to shared memory as structured-clone bytes and from then on
 *   every operation, in every thread, runs under the lock. A thread holds the lock as a whole
 *   (see threading/hold.ts) and never waits for it behind itself, so `putNowait`, `getNowait` and
 *   `taskDone` stay synchronous.
 */
import { reclaimMoved, registerShareable, type Boundary, type MovedInstances } from "../internal/codec.js";
import { checkOptions, checkSignal, checkTimeout, deadlineOf, describe, remaining, type WaitOptions } from "../internal/options.js";
import { Condition, type ConditionState } from "../threading/condition.js";
import { Lock } from "../threading/lock.js";
import { allocateWords, checkWords, HEADER_WORDS, recall, remember } from "../threading/shared.js";
import { Deque } from "./deque.js";
import { emptyError, fullError, ShutDown } from "./errors.js";
import { Heap } from "./heap.js";
import { decodeItem, encodeItem, encodePriority, inlineLength, rawBytesTag } from "./item-codec.js";
import { knownSharedBuffers, learnSharedBuffers, listenForSharedBuffers } from "./shared-buffers.js";
import { Encoded, Returned, SharedStore, type SharedStoreMemory } from "./shared-store.js";
import { threadId } from "node:worker_threads";
import { ThreadHold } from "../threading/hold.js";
import type { Storage, StorageFactory } from "./storage.js";

/** Options of `put` and `get`. */
export interface QueueWaitOptions extends WaitOptions {
  /** `false` fails at once (`Full`/`Empty`) instead of waiting; the timeout is then ignored, as in Python. Default `true`. */
  block?: boolean | undefined;
}

/** Options of the blocking twins `putSync` and `getSync`. */
export interface QueueSyncOptions {
  /** `false` fails at once instead of waiting. Default `true`. */
  block?: boolean | undefined;
  /** Longest wait, in milliseconds; `undefined` waits forever. */
  timeout?: number | undefined;
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Drop the items left in the queue, so `get` fails at once and `join` returns. Default `false`. */
  immediate?: boolean | undefined;
}

// Counters, in memory shared with other threads once the queue is.
const UNFINISHED = HEADER_WORDS; // puts not yet matched by taskDone
const SHUTDOWN = HEADER_WORDS + 1; // 1 after shutdown(), 2 after shutdown({ immediate: true })
const GETTERS = HEADER_WORDS + 2; // gets waiting on notEmpty, in all threads
const PUTTERS = HEADER_WORDS + 3; // puts waiting on notFull
const JOINERS = HEADER_WORDS + 4; // joins waiting on allTasksDone
const WORDS = 5;

/**
 * Longest single wait on a condition once shared: a thread that dies while waiting may swallow a
 * notification meant for a live one, so waiters look again this often.
 */
const WAIT_SLICE = 250;
/** Peeks at the shared count before parking: a wake-up across threads costs far more than a short spin. */
const SPINS = 4000;

const RESOLVED: Promise<void> = Promise.resolve();

/** What a queue sends to another thread: its shared memory. */
export interface QueueState {
  readonly type: string;
  readonly maxsize: number;
  readonly words: Int32Array;
  readonly notEmpty: ConditionState;
  readonly notFull: ConditionState;
  readonly allTasksDone: ConditionState;
  readonly store: SharedStoreMemory;
  readonly buffers: Array<[number, SharedArrayBuffer]>;
}

const KIND = "queue.Queue";
let adopting: QueueState | undefined;
/** The class to rebuild for each `type`, filled by every queue class's module. */
const classes = new Map<string, new () => Queue<unknown>>();

const localStorage: StorageFactory = {
  deque: () => new Deque(),
  heap: (compare) => new Heap(compare),
};

/**
 * A first-in, first-out queue (`maxsize` 0 or less: unbounded).
 *
 * @example
 * ```ts
 * const q = new Queue<string>();
 * await q.put("bone 1");
 * console.log(await q.get()); // "bone 1"
 * q.taskDone();
 * await q.join(); // every item got and done
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  /** The most items the queue holds; 0 is unbounded. */
  readonly maxsize: number;
  /** The lock every operation on the storage holds (CPython's `mutex`). */
  protected readonly mutex: Lock;
  /** Notified when an item is added: a waiting `get` may go on. */
  protected readonly notEmpty: Condition;
  /** Notified when an item is removed: a waiting `put` may go on. */
  protected readonly notFull: Condition;
  /** Notified when the count of unfinished tasks drops to zero: `join` returns. */
  protected readonly allTasksDone: Condition;
  /** The storage, made by `_init`. */
  protected queue!: Storage<unknown>;
  /** This thread's holds on `mutex`. */
  readonly #hold: ThreadHold;
  #words: Int32Array;
  /** Set once the queue is shared with other threads: then `queue` is this SharedStore. */
  #store: SharedStore | undefined;
  /**
   * Objects this thread put into the shared queue, by the put's origin number: when this thread
   * gets one back, it gets the very object (as in one thread), not a copy of its bytes.
   */
  readonly #kept = new Map<number, unknown>();
  /** What kept items moved out when they were put (Pipe ends), by origin: reclaimed if they come back here. */
  readonly #movedOut = new Map<number, MovedInstances>();

  /** @param maxsize the most items held at once; 0 or less is unbounded. */
  constructor(maxsize = 0) {
    const shared = adopting;
    adopting = undefined;
    if (shared !== undefined) {
      this.maxsize = shared.maxsize;
      this.#words = shared.words;
      this.notEmpty = Condition.fromShared(shared.notEmpty);
      this.notFull = Condition.fromShared(shared.notFull);
      this.allTasksDone = Condition.fromShared(shared.allTasksDone);
      this.mutex = this.notEmpty.lock as Lock;
      this.#hold = new ThreadHold(this.mutex);
      const store = new SharedStore(shared.store);
      store.keeps = (origin) => this.#kept.has(origin);
      this.#store = store;
      this._init(this.maxsize, sharedStorage(store));
      learnSharedBuffers(shared.buffers);
      listenForSharedBuffers();
      remember(KIND, this.#words, this);
      return;
    }
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) throw new TypeError(`Queue: maxsize must be a number: got ${describe(maxsize)}`);
    if (maxsize > 0 && maxsize !== Infinity && !Number.isSafeInteger(maxsize)) throw new RangeError(`Queue: maxsize must be an integer: got ${maxsize}`);
    this.maxsize = maxsize > 0 && maxsize <= 2 ** 31 - 1 ? maxsize : 0;
    // Plain memory while the queue stays in this thread; moved to shared memory when it crosses.
    this.#words = new Int32Array(HEADER_WORDS + WORDS);
    this.mutex = new Lock();
    this.#hold = new ThreadHold(this.mutex);
    this.notEmpty = new Condition(this.mutex);
    this.notFull = new Condition(this.mutex);
    this.allTasksDone = new Condition(this.mutex);
    this._init(this.maxsize, localStorage);
  }

  // --- the hooks (CPython's `_init/_qsize/_put/_get`) ------------------------------------------

  /** Makes the storage. Called at construction, and again with shared storage when the queue first crosses to another thread. */
  protected _init(_maxsize: number, storage: StorageFactory): void {
    this.queue = storage.deque();
  }

  /** Number of entries in the storage. */
  protected _qsize(): number {
    return this.queue.length;
  }

  /** Adds an entry to the storage. */
  protected _put(entry: unknown): void {
    this.queue.push(entry);
  }

  /** Removes the next entry from the storage. */
  protected _get(): unknown {
    return this.queue.shift();
  }

  // --- size ------------------------------------------------------------------------------------

  /** Number of items in the queue (exact in one thread; a snapshot when other threads use it too). */
  qsize(): number {
    return this.#store === undefined ? this._qsize() : this.#store.peekLength();
  }

  /** Whether the queue holds no item. */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** Whether the queue holds `maxsize` items (never, when unbounded). */
  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }

  /** Whether `shutdown()` was called (in any thread). */
  get isShutdown(): boolean {
    return this.#words[SHUTDOWN] !== 0;
  }

  // --- put -------------------------------------------------------------------------------------

  /**
   * Puts `item` into the queue, waiting for a free slot if it is full. Rejects with `Full` when
   * the timeout passes (or at once with `block: false`), with `ShutDown` after `shutdown()`, with
   * the signal's reason when it aborts, and with a TypeError when the queue is shared with other
   * threads and the item cannot be copied to them (the queue is then left as it was).
   */
  put(item: T, options?: QueueWaitOptions): Promise<void> {
    if (options !== undefined) return this.#putWaiting(item, options, undefined);
    const store = this.#store;
    if (store === undefined) {
      // One thread: nothing can run between these lines, so no lock is needed unless someone waits.
      const words = this.#words;
      if (words[SHUTDOWN] === 0 && (this.maxsize === 0 || this._qsize() < this.maxsize)) {
        this._put(item);
        words[UNFINISHED]++;
        if (words[GETTERS] !== 0) this.#notifyLocal(this.notEmpty);
        return RESOLVED;
      }
      return this.#putWaiting(item, options, undefined);
    }
    // Shared: a put that needs not wait stays synchronous (no async function to enter).
    let entry: unknown;
    try {
      entry = this.#encode(item, "Queue.put item");
      if (this.maxsize === 0 || store.peekLength() < this.maxsize) {
        this.#hold.enter();
        try {
          if (this.#words[SHUTDOWN] === 0 && (this.maxsize === 0 || this._qsize() < this.maxsize)) {
            this.#store_(entry, item, "Queue.put");
            return RESOLVED;
          }
        } finally {
          this.#hold.exit();
        }
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#putWaiting(item, options, { entry });
  }

  /** Puts `item` if a slot is free at once; throws `Full` otherwise (or `ShutDown`). */
  putNowait(item: T): void {
    if (this.#store === undefined) {
      const words = this.#words;
      if (words[SHUTDOWN] !== 0) throw new ShutDown("Cannot put an item: the queue is shut down");
      if (this.maxsize > 0 && this._qsize() >= this.maxsize) throw fullError(this.maxsize, 0);
      this._put(item);
      words[UNFINISHED]++;
      if (words[GETTERS] !== 0) this.#notifyLocal(this.notEmpty);
      return;
    }
    const entry = this.#encode(item, "Queue.putNowait item");
    this.#hold.enter();
    try {
      if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot put an item: the queue is shut down");
      if (this.maxsize > 0 && this._qsize() >= this.maxsize) throw fullError(this.maxsize, 0);
      this.#store_(entry, item, "Queue.putNowait");
    } finally {
      this.#hold.exit();
    }
  }

  async #putWaiting(item: T, options: QueueWaitOptions | undefined, encoded: { entry: unknown } | undefined): Promise<void> {
    const { block, timeout, signal } = waitOptions(options, "Queue.put");
    let shared = encoded !== undefined || this.#store !== undefined;
    let entry: unknown = encoded !== undefined ? encoded.entry : shared ? this.#encode(item, "Queue.put item") : item;
    const deadline = deadlineOf(timeout);
    const maxsize = this.maxsize;
    if (block && maxsize > 0 && this.#store !== undefined) spinWhile(() => this.#store!.peekLength() >= maxsize && this.#words[SHUTDOWN] === 0);
    this.#hold.enter();
    try {
      if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot put an item: the queue is shut down");
      if (maxsize > 0) {
        if (!block) {
          if (this._qsize() >= maxsize) throw fullError(maxsize, 0);
        } else {
          while (this._qsize() >= maxsize) {
            const left = remaining(deadline);
            if (left <= 0) throw fullError(maxsize, timeout ?? 0);
            this.#words[PUTTERS]++;
            try {
              await this.notFull._waitAcquireSync({ timeout: this.#slice(left), signal }, "Queue.put");
            } finally {
              this.#words[PUTTERS]--;
            }
            if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot put an item: the queue is shut down");
          }
        }
      }
      if (this.#store !== undefined && !shared) {
        entry = this.#encode(item, "Queue.put item"); // the queue was shared while this put waited
        shared = true;
      }
      this.#store_(entry, item, "Queue.put");
    } catch (error) {
      // Leaving without putting: a notification this put took goes to the next one.
      if (maxsize > 0 && this._qsize() < maxsize && this.#words[PUTTERS] > 0) this.notFull.notify();
      throw error;
    } finally {
      this.#hold.exit();
    }
  }

  /**
   * Blocking twin of `put`, for worker threads (on the main thread it freezes the event loop while
   * it waits). Throws `Full`, `ShutDown`, or a TypeError for an item that cannot cross.
   */
  putSync(item: T, options?: QueueSyncOptions): void {
    const { block, timeout } = waitOptions(options, "Queue.putSync");
    let shared = this.#store !== undefined;
    let entry: unknown = shared ? this.#encode(item, "Queue.putSync item") : item;
    const deadline = deadlineOf(timeout);
    const maxsize = this.maxsize;
    if (block && maxsize > 0 && this.#store !== undefined) spinWhile(() => this.#store!.peekLength() >= maxsize && this.#words[SHUTDOWN] === 0);
    this.#hold.enter();
    try {
      if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot put an item: the queue is shut down");
      if (maxsize > 0) {
        if (!block) {
          if (this._qsize() >= maxsize) throw fullError(maxsize, 0);
        } else {
          while (this._qsize() >= maxsize) {
            const left = remaining(deadline);
            if (left <= 0) throw fullError(maxsize, timeout ?? 0);
            this.#words[PUTTERS]++;
            try {
              this.notFull.waitSync({ timeout: this.#slice(left) });
            } finally {
              this.#words[PUTTERS]--;
            }
            if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot put an item: the queue is shut down");
          }
        }
      }
      if (this.#store !== undefined && !shared) {
        entry = this.#encode(item, "Queue.putSync item");
        shared = true;
      }
      this.#store_(entry, item, "Queue.putSync");
    } catch (error) {
      if (maxsize > 0 && this._qsize() < maxsize && this.#words[PUTTERS] > 0) this.notFull.notify();
      throw error;
    } finally {
      this.#hold.exit();
    }
  }

  /** Stores an entry, holding the lock: counts the task and wakes a getter. */
  #store_(entry: unknown, item: unknown, where: string): void {
    try {
      this._put(entry);
    } catch (error) {
      if (error instanceof RangeError) throw new RangeError(`${where}: ${error.message} (${describe(item)})`);
      throw error;
    }
    this.#words[UNFINISHED]++;
    if (this.#words[GETTERS] > 0) this.notEmpty.notify();
    if (this.#store !== undefined && this.#kept.size > 64) this.#forgetTaken();
  }

  // --- get -------------------------------------------------------------------------------------

  /**
   * Removes and returns the next item, waiting for one if the queue is empty. Rejects with `Empty`
   * when the timeout passes (or at once with `block: false`), with `ShutDown` once the queue is
   * shut down and empty, and with the signal's reason when it aborts.
   */
  get(options?: QueueWaitOptions): Promise<T> {
    if (options !== undefined) return this.#getWaiting(options);
    const store = this.#store;
    if (store === undefined) {
      if (this._qsize() > 0) {
        const item = this._get() as T;
        if (this.#words[PUTTERS] !== 0) this.#notifyLocal(this.notFull);
        return Promise.resolve(item);
      }
    } else if (store.peekLength() > 0) {
      // Shared: a get that finds an item stays synchronous.
      let entry: unknown;
      let got = false;
      this.#hold.enter();
      try {
        if (this._qsize() > 0) {
          entry = this.#take();
          got = true;
        }
      } finally {
        this.#hold.exit();
      }
      if (got) {
        try {
          return Promise.resolve(this.#decode<T>(entry));
        } catch (error) {
          return Promise.reject(error);
        }
      }
    }
    return this.#getWaiting(options);
  }

  /** Removes and returns an item if one is there at once; throws `Empty` otherwise (or `ShutDown`). */
  getNowait(): T {
    if (this.#store === undefined) {
      if (this._qsize() > 0) {
        const item = this._get() as T;
        if (this.#words[PUTTERS] !== 0) this.#notifyLocal(this.notFull);
        return item;
      }
      if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot get an item: the queue is shut down and empty");
      throw emptyError(0);
    }
    let entry: unknown;
    this.#hold.enter();
    try {
      if (this._qsize() === 0) {
        if (this.#words[SHUTDOWN] !== 0) throw new ShutDown("Cannot get an item: the queue is shut down and empty");
        throw emptyError(0);
      }
      entry = this.#take();
    } finally {
      this.#hold.exit();
    }
    return this.#decode<T>(entry);
  }

  async #getWaiting(options: QueueWaitOptions | undefined): Promise<T> {
    const { block, timeout, signal } = waitOptions(options, "Queue.get");
    const deadline = deadlineOf(timeout);
    if (block && this.#store !== undefined) spinWhile(() => this.#store!.peekLength() === 0 && this.#words[SHUTDOWN] === 0);
    let entry: unknown;
    this.#hold.enter();
    try {
      if (this.#words[SHUTDOWN] !== 0 && this._qsize() === 0) throw new ShutDown("Cannot get an item: the queue is shut down and empty");
      if (!block) {
        if (this._qsize() === 0) throw emptyError(0);
      } else {
        while (this._qsize() === 0) {
          const left = remaining(deadline);
          if (left <= 0) throw emptyError(timeout ?? 0);
          this.#words[GETTERS]++;
          try {
            await this.notEmpty._waitAcquireSync({ timeout: this.#slice(left), signal }, "Queue.get");
          } finally {
            this.#words[GETTERS]--;
          }
          if (this.#words[SHUTDOWN] !== 0 && this._qsize() === 0) throw new ShutDown("Cannot get an item: the queue is shut down and empty");
        }
      }
      entry = this.#take();
    } catch (error) {
      // Leaving without an item: a notification this get took goes to the next one.
      if (this._qsize() > 0 && this.#words[GETTERS] > 0) this.notEmpty.notify();
      throw error;
    } finally {
      this.#hold.exit();
    }
    return this.#decode<T>(entry);
  }

  /** Blocking twin of `get`, for worker threads. Throws `Empty` or `ShutDown`. */
  getSync(options?: QueueSyncOptions): T {
    const { block, timeout } = waitOptions(options, "Queue.getSync");
    const deadline = deadlineOf(timeout);
    if (block && this.#store !== undefined) spinWhile(() => this.#store!.peekLength() === 0 && this.#words[SHUTDOWN] === 0);
    let entry: unknown;
    this.#hold.enter();
    try {
      if (this.#words[SHUTDOWN] !== 0 && this._qsize() === 0) throw new ShutDown("Cannot get an item: the queue is shut down and empty");
      if (!block) {
        if (this._qsize() === 0) throw emptyError(0);
      } else {
        while (this._qsize() === 0) {
          const left = remaining(deadline);
          if (left <= 0) throw emptyError(timeout ?? 0);
          this.#words[GETTERS]++;
          try {
            this.notEmpty.waitSync({ timeout: this.#slice(left) });
          } finally {
            this.#words[GETTERS]--;
          }
          if (this.#words[SHUTDOWN] !== 0 && this._qsize() === 0) throw new ShutDown("Cannot get an item: the queue is shut down and empty");
        }
      }
      entry = this.#take();
    } catch (error) {
      if (this._qsize() > 0 && this.#words[GETTERS] > 0) this.notEmpty.notify();
      throw error;
    } finally {
      this.#hold.exit();
    }
    return this.#decode<T>(entry);
  }

  /** Takes the next entry, holding the lock, and wakes a waiting put. */
  #take(): unknown {
    const entry = this._get();
    if (this.#words[PUTTERS] > 0) this.notFull.notify();
    return entry;
  }

  // --- tasks -----------------------------------------------------------------------------------

  /**
   * Tells the queue that a task got from it is done. When every item put has been done, `join`
   * returns.
   * @throws RangeError("task_done() called too many times") when there is no unfinished task.
   */
  taskDone(): void {
    const local = this.#store === undefined;
    if (!local) this.#hold.enter();
    try {
      const words = this.#words;
      const unfinished = words[UNFINISHED]! - 1;
      if (unfinished < 0) throw new RangeError("task_done() called too many times");
      words[UNFINISHED] = unfinished;
      if (unfinished === 0 && words[JOINERS] !== 0) {
        if (local) this.#notifyLocal(this.allTasksDone, true);
        else this.allTasksDone.notifyAll();
      }
    } finally {
      if (!local) this.#hold.exit();
    }
  }

  /** Number of items put and not yet matched by `taskDone`. */
  get unfinishedTasks(): number {
    return this.#store === undefined ? this.#words[UNFINISHED]! : Atomics.load(this.#words, UNFINISHED);
  }

  /**
   * Waits until every item put has been got and marked done with `taskDone`. Resolves `true`
   * then, or `false` when the timeout passes first; rejects with the signal's reason on abort.
   */
  async join(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = waitOptions(options, "Queue.join");
    const deadline = deadlineOf(timeout);
    this.#hold.enter();
    try {
      while (this.#words[UNFINISHED] !== 0) {
        const left = remaining(deadline);
        if (left <= 0) return false;
        this.#words[JOINERS]++;
        try {
          await this.allTasksDone._waitAcquireSync({ timeout: this.#slice(left), signal }, "Queue.join");
        } finally {
          this.#words[JOINERS]--;
        }
      }
      return true;
    } finally {
      this.#hold.exit();
    }
  }

  /** Blocking twin of `join`, for worker threads. Returns `false` when the timeout passes first. */
  joinSync(options?: { timeout?: number | undefined }): boolean {
    const { timeout } = waitOptions(options, "Queue.joinSync");
    const deadline = deadlineOf(timeout);
    this.#hold.enter();
    try {
      while (this.#words[UNFINISHED] !== 0) {
        const left = remaining(deadline);
        if (left <= 0) return false;
        this.#words[JOINERS]++;
        try {
          this.allTasksDone.waitSync({ timeout: this.#slice(left) });
        } finally {
          this.#words[JOINERS]--;
        }
      }
      return true;
    } finally {
      this.#hold.exit();
    }
  }

  // --- shutdown --------------------------------------------------------------------------------

  /**
   * Shuts the queue down (Python 3.13): every `put` from now on (and every one waiting) rejects
   * with `ShutDown`; `get` goes on draining the items left and rejects with `ShutDown` once the
   * queue is empty. With `immediate`, the items left are dropped (each counted done, so `join`
   * returns) and every waiting `get` rejects at once. Every waiter, in every thread, is woken.
   */
  shutdown(options?: ShutdownOptions): void {
    const immediate = options?.immediate === true;
    this.#hold.enter();
    try {
      const words = this.#words;
      words[SHUTDOWN] = immediate ? 2 : Math.max(words[SHUTDOWN]!, 1);
      if (immediate) {
        while (this._qsize() > 0) {
          this._get();
          if (words[UNFINISHED]! > 0) words[UNFINISHED]--;
        }
        this.allTasksDone.notifyAll();
      }
      this.notEmpty.notifyAll();
      this.notFull.notifyAll();
    } finally {
      this.#hold.exit();
    }
  }

  /** Reads items until the queue is shut down and empty: `for await (const item of q)`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof ShutDown) return;
        throw error;
      }
      yield item;
    }
  }

  /** `await using q = new Queue()`: shuts the queue down at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
    return RESOLVED;
  }

  get [Symbol.toStringTag](): string {
    return `${this.constructor.name} (${this.qsize()} items${this.maxsize > 0 ? ` of ${this.maxsize}` : ""}${this.#store === undefined ? "" : ", shared"})`;
  }

  // --- internals -------------------------------------------------------------------------------

  /** Notifies from the lock-free fast path of a queue still in one thread (the lock is free there). */
  #notifyLocal(condition: Condition, all = false): void {
    this.#hold.enter();
    try {
      if (all) condition.notifyAll();
      else condition.notify();
    } finally {
      this.#hold.exit();
    }
  }

  #slice(left: number): number | undefined {
    if (this.#store !== undefined) return Math.min(left, WAIT_SLICE);
    return left === Infinity ? undefined : left;
  }

  /** The shared form of an item: a small primitive as it is (written straight into shared memory), anything else as bytes. */
  #encode(item: unknown, where: string): unknown {
    return this.#toShared(item, where, this.#store!.memory.kind === "heap");
  }

  #toShared(item: unknown, where: string, heap: boolean): unknown {
    if (typeof item !== "object" || item === null) return toShared(item, where, heap ? (x) => this._priorityOf(x) : undefined, 0);
    const origin = ORIGIN_BASE + ++origins;
    const moved: MovedInstances = [];
    const entry = toShared(item, where, heap ? (x) => this._priorityOf(x) : undefined, origin, moved) as Encoded;
    // Keeping a large item as well as its bytes would hold it twice: it comes back as a copy.
    if (entry.bytes.length > KEEP_LIMIT) return new Encoded(entry.bytes, entry.key, entry.prefix);
    this.#kept.set(origin, item);
    if (moved.length > 0) this.#movedOut.set(origin, moved);
    return entry;
  }

  /** The item of an entry taken from the storage. */
  #decode<T>(entry: unknown): T {
    if (entry instanceof Returned) {
      const item = this.#kept.get(entry.origin);
      this.#kept.delete(entry.origin);
      // A Pipe end inside went out when it was put; nobody else took it, so it is live here again.
      const moved = this.#movedOut.get(entry.origin);
      if (moved !== undefined) {
        this.#movedOut.delete(entry.origin);
        reclaimMoved(moved);
      }
      return item as T;
    }
    return decode<T>(entry);
  }

  /** Forgets kept objects whose entries other threads took (or whose puts failed); holding the lock. */
  #forgetTaken(): void {
    if (this.#kept.size <= 2 * this.#store!.length + 64) return;
    const live = this.#store!.origins();
    for (const origin of this.#kept.keys()) {
      if (!live.has(origin)) {
        this.#kept.delete(origin);
        this.#movedOut.delete(origin);
      }
    }
  }

  /** What PriorityQueue orders by; the item itself elsewhere. */
  protected _priorityOf(item: unknown): unknown {
    return item;
  }

  /** Whether the queue can cross to another thread; PriorityQueue refuses when it has a key function. */
  protected _checkShareable(_where: string): void {}

  /**
   * @internal The shared state of this queue, moving it to shared memory first if it is still local.
   * @throws TypeError when an item in it cannot be copied to another thread (the queue stays local).
   */
  static _share(queue: Queue<unknown>, boundary: Boundary, where: string): QueueState {
    if (boundary === "process") {
      throw new TypeError(
        `${where}: cannot send a queue.${queue.constructor.name} to another process: its items live in memory shared by the threads of one process; ` +
          "use a multiprocessing Queue between processes",
      );
    }
    if (queue.#store === undefined) queue.#moveToSharedMemory(where);
    return {
      type: queue.#typeName(),
      maxsize: queue.maxsize,
      words: queue.#words,
      notEmpty: queue.notEmpty.sharedState,
      notFull: queue.notFull.sharedState,
      allTasksDone: queue.allTasksDone.sharedState,
      store: queue.#store!.memory,
      buffers: knownSharedBuffers(),
    };
  }

  /** @internal This thread's queue for shared state received from another thread. */
  static _fromShared(data: unknown): Queue<unknown> {
    const state = data as QueueState;
    const words = checkWords(state?.words, WORDS, "queue");
    const existing = recall<Queue<unknown>>(KIND, words);
    if (existing !== undefined) return existing;
    const Class = classes.get(state.type) ?? Queue;
    adopting = state;
    return new Class();
  }

  /** @internal Makes `Class` the one rebuilt when a queue of its type arrives from another thread. */
  static _register(name: string, Class: new () => Queue<unknown>): void {
    classes.set(name, Class);
  }

  #typeName(): string {
    for (const [name, Class] of classes) if (this.constructor === Class) return name;
    for (const [name, Class] of classes) if (this instanceof Class && name !== "Queue") return name;
    return "Queue";
  }

  #moveToSharedMemory(where: string): void {
    this._checkShareable(where);
    // Nothing else runs in this thread meanwhile, and no other thread knows the queue yet.
    // In storage order (oldest first, or lowest first), whatever order `_get` takes them in.
    const items: unknown[] = [];
    while (this.queue.length > 0) items.push(this.queue.shift());
    const heap = this.queue instanceof Heap;
    let entries: unknown[];
    try {
      entries = items.map((item, i) => this.#toShared(item, `${where} (item ${i} in the queue)`, heap));
    } catch (error) {
      for (const item of items) this.queue.push(item);
      throw error;
    }
    let made: SharedStore | undefined;
    const factory: StorageFactory = {
      deque: <E>() => (made = SharedStore.create("deque")) as unknown as Storage<E>,
      heap: <E>() => (made = SharedStore.create("heap")) as unknown as Storage<E>,
    };
    this._init(this.maxsize, factory);
    const words = allocateWords(WORDS);
    words.set(this.#words.subarray(HEADER_WORDS), HEADER_WORDS);
    this.#words = words;
    this.#store = made;
    made!.keeps = (origin) => this.#kept.has(origin);
    for (const entry of entries) this.queue.push(entry);
    listenForSharedBuffers();
    remember(KIND, words, this);
  }
}

/** An item in its shared form; `priorityOf` is given for a heap, whose entries carry their priority's bytes. */
function toShared(item: unknown, where: string, priorityOf: ((item: unknown) => unknown) | undefined, origin: number, moved?: MovedInstances): unknown {
  if (priorityOf === undefined && inlineLength(item) >= 0) return item;
  const key = priorityOf === undefined ? undefined : encodePriority(priorityOf(item));
  const tag = rawBytesTag(item);
  if (tag >= 0) return new Encoded(item as Uint8Array, key, tag, origin);
  return new Encoded(encodeItem(item, where, moved), key, undefined, origin);
}

/** Items whose bytes are larger than this are not kept for giving back the same object. */
const KEEP_LIMIT = 64 * 1024;

/** Origins are `threadId * 2^32 + n`: unique in the process without a shared counter. */
const ORIGIN_BASE = threadId * 2 ** 32;
let origins = 0;

function sharedStorage(store: SharedStore): StorageFactory {
  return {
    deque: <E>() => store as unknown as Storage<E>,
    heap: <E>() => store as unknown as Storage<E>,
  };
}

function decode<T>(entry: unknown): T {
  return (entry instanceof Encoded ? decodeItem(entry.bytes) : entry) as T;
}

function spinWhile(condition: () => boolean): void {
  for (let i = 0; i < SPINS && condition(); i++);
}

function waitOptions(
  options: QueueWaitOptions | QueueSyncOptions | undefined,
  where: string,
): { block: boolean; timeout: number | undefined; signal: AbortSignal | undefined } {
  if (options === undefined) return { block: true, timeout: undefined, signal: undefined };
  checkOptions(options, where);
  const timeout = checkTimeout(options.timeout, `${where}: timeout`);
  const signal = checkSignal((options as QueueWaitOptions).signal, `${where}: signal`);
  return { block: options.block !== false, timeout, signal };
}

Queue._register("Queue", Queue as new () => Queue<unknown>);

registerShareable<Queue<unknown>, QueueState>({
  kind: KIND,
  module: new URL("./index.js", import.meta.url).href,
  is: (value): value is Queue<unknown> => value instanceof Queue,
  encode: (queue, boundary, where) => Queue._share(queue, boundary, where),
  decode: (data) => Queue._fromShared(data),
});
