import v8 from "node:v8";
import { pythonCompare } from "./compare.js";
import { inlineLength, NOT_INLINE, readInline, writeInline } from "./item-codec.js";
import type { Storage } from "./storage.js";

/**
 * An item as it travels between threads: its bytes (structured clone, or a Uint8Array's own bytes
 * after a `prefix` tag) and, in a priority queue, its priority's bytes. Small primitives need none:
 * they are written straight into the arena.
 */
export class Encoded {
  constructor(
    readonly bytes: Uint8Array,
    readonly key?: Uint8Array,
    /** A tag byte to write before `bytes` (raw bytes travel without being copied into a tagged buffer first). */
    readonly prefix?: number,
    /** Process-unique number of the put, when its thread keeps the item to give back the very object. */
    readonly origin = 0,
  ) {}
}

/** An entry taken by the thread that put it: the queue gives back the object it kept. */
export class Returned {
  constructor(readonly origin: number) {}
}

/** The shared memory of a `SharedStore`, sent to other threads as it is (SharedArrayBuffers). */
export interface SharedStoreMemory {
  readonly kind: "deque" | "heap";
  readonly header: SharedArrayBuffer;
  readonly index: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
}

// Header: a few counters. COUNT is also read without the lock (Atomics) to peek before waiting.
const COUNT = 0; // Int32: entries held
const HEAD = 1; // Int32: ring position of the first entry (deque)
const CAPACITY = 2; // Int32: descriptor slots in `index`
const GENERATION = 3; // Int32: bumped whenever `index` or `arena` grows, so other threads remap
const TOP = 2; // Float64: first free byte of the arena
const LIVE = 3; // Float64: bytes held by entries
const SEQUENCE = 4; // Float64: arrival counter, the tie-breaker of equal priorities
const HEADER_BYTES = 64;

// One descriptor per entry: where its bytes lie, and its arrival number.
const OFFSET = 0;
const LENGTH = 1;
const KEY_LENGTH = 2;
const SEQ = 3;
const ORIGIN = 4; // who put the item, for giving it back as the same object to that thread (0: nobody)
const SLOT = 5; // Float64s per descriptor

const MAX_BYTES = 2 ** 32; // the arena: the largest growable SharedArrayBuffer V8 makes (address space reserved, not memory)
const MAX_INDEX_BYTES = 2 ** 28; // the index: 6.7 million entries

// Growable SharedArrayBuffers are in Node 20 (V8 11) but not yet in TypeScript's ES2023 lib.
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(byteLength: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => GrowableSharedArrayBuffer;

function grow(buffer: SharedArrayBuffer, byteLength: number): void {
  (buffer as GrowableSharedArrayBuffer).grow(byteLength);
}

const INITIAL_SLOTS = 64;
const INITIAL_ARENA = 64 * 1024;
const ALIGN = 8;

/**
 * Entries of a queue shared between threads, in shared memory: their bytes in an arena (a growable
 * SharedArrayBuffer, so a 16 MiB buffer fits as well as a small number), and their order in an index
 * of descriptors: a ring for FIFO and LIFO, a binary heap for priorities.
 *
 * Every method runs under the queue's lock, which orders these plain reads and writes between
 * threads; the entry count is also read without the lock (Atomics.load), as a hint for whether to
 * wait: every decision is taken again under the lock.
 *
 * The arena is a bump allocator that starts over when the queue empties and compacts (moves live
 * entries to the front) when it reaches the end; it doubles while more than half of it is live.
 */
export class SharedStore implements Storage<unknown> {
  readonly memory: SharedStoreMemory;
  readonly #counts: Int32Array;
  readonly #fields: Float64Array;
  readonly #heap: boolean;
  #generation = -1;
  #slots!: Float64Array;
  #bytes!: Buffer;
  /** Whether this thread kept the item of a put (see Encoded.origin); such entries come back as `Returned`. */
  keeps: (origin: number) => boolean = () => false;
  /** Decoded priorities of heap entries by arrival number, so comparisons do not decode again. */
  #priorities = new Map<number, unknown>();

  /** Creates empty shared storage. */
  static create(kind: "deque" | "heap"): SharedStore {
    const header = new SharedArrayBuffer(HEADER_BYTES);
    const index = new GrowableSharedArrayBuffer(INITIAL_SLOTS * SLOT * 8, { maxByteLength: MAX_INDEX_BYTES });
    const arena = new GrowableSharedArrayBuffer(INITIAL_ARENA, { maxByteLength: MAX_BYTES });
    new Int32Array(header)[CAPACITY] = INITIAL_SLOTS;
    return new SharedStore({ kind, header, index, arena });
  }

  /** Opens storage made by `create`, in this or another thread. */
  constructor(memory: SharedStoreMemory) {
    this.memory = memory;
    this.#counts = new Int32Array(memory.header, 0, 4);
    this.#fields = new Float64Array(memory.header, 0, HEADER_BYTES / 8);
    this.#heap = memory.kind === "heap";
    this.#remap();
  }

  get length(): number {
    return this.#counts[COUNT] as number;
  }

  /** The entry count read without the lock (for deciding whether to wait). */
  peekLength(): number {
    return Atomics.load(this.#counts, COUNT);
  }

  /** Bytes held by entries. */
  get byteLength(): number {
    return this.#fields[LIVE] as number;
  }

  /**
   * Adds an entry: an `Encoded` item, or a small primitive (see `inlineLength`), which is written
   * straight into the arena.
   */
  push(entry: unknown): void {
    this.#sync();
    let keyLength = 0;
    let length: number;
    let offset: number;
    let origin = 0;
    if (entry instanceof Encoded) {
      origin = entry.origin;
      keyLength = entry.key?.length ?? 0;
      const prefix = entry.prefix === undefined ? 0 : 1;
      length = prefix + entry.bytes.length;
      offset = this.#allocate(keyLength + length);
      if (entry.key !== undefined) this.#bytes.set(entry.key, offset);
      if (prefix === 1) this.#bytes[offset + keyLength] = entry.prefix!;
      this.#bytes.set(entry.bytes, offset + keyLength + prefix);
    } else {
      length = inlineLength(entry);
      offset = this.#allocate(length);
      writeInline(entry, this.#bytes, offset);
    }
    const count = this.#counts[COUNT] as number;
    if (count === this.#counts[CAPACITY]) this.#growIndex();
    const slot = this.#heap ? count : (((this.#counts[HEAD] as number) + count) % (this.#counts[CAPACITY] as number));
    const seq = this.#fields[SEQUENCE] as number;
    this.#fields[SEQUENCE] = seq + 1;
    this.#write(slot, offset, length, keyLength, seq, origin);
    this.#counts[COUNT] = count + 1; // published by the lock's release
    if (this.#heap) this.#siftUp(count);
  }

  /** Removes the first entry: a small primitive itself, or an `Encoded` copy of the item's bytes. */
  shift(): unknown {
    this.#sync();
    if (this.#heap) return this.#popHeap();
    const slot = this.#counts[HEAD] as number;
    this.#counts[HEAD] = (slot + 1) % (this.#counts[CAPACITY] as number);
    return this.#take(slot);
  }

  /** Removes the newest entry (the lowest, in a heap). */
  pop(): unknown {
    this.#sync();
    if (this.#heap) return this.#popHeap();
    const slot = ((this.#counts[HEAD] as number) + (this.#counts[COUNT] as number) - 1) % (this.#counts[CAPACITY] as number);
    return this.#take(slot);
  }

  /** The origins of the entries held (for forgetting kept items that other threads took). */
  origins(): Set<number> {
    const found = new Set<number>();
    const count = this.#counts[COUNT] as number;
    const capacity = this.#counts[CAPACITY] as number;
    const head = this.#heap ? 0 : (this.#counts[HEAD] as number);
    for (let i = 0; i < count; i++) {
      const origin = this.#slots[((head + i) % capacity) * SLOT + ORIGIN] as number;
      if (origin !== 0) found.add(origin);
    }
    return found;
  }

  clear(): void {
    this.#counts[HEAD] = 0;
    this.#fields[TOP] = 0;
    this.#fields[LIVE] = 0;
    this.#priorities.clear();
    Atomics.store(this.#counts, COUNT, 0);
  }

  /** Copies out the entry in `slot` and frees its bytes; the caller has unlinked the slot. */
  #take(slot: number): unknown {
    const s = slot * SLOT;
    const slots = this.#slots;
    const offset = slots[s + OFFSET] as number;
    const length = slots[s + LENGTH] as number;
    const keyLength = slots[s + KEY_LENGTH] as number;
    const origin = slots[s + ORIGIN] as number;
    let entry = origin !== 0 && this.keeps(origin) ? new Returned(origin) : readInline(this.#bytes, offset + keyLength, length);
    if (entry === NOT_INLINE) {
      // Copied out under the lock; deserialized by the caller after releasing it.
      const bytes = Buffer.allocUnsafe(length);
      bytes.set(this.#bytes.subarray(offset + keyLength, offset + keyLength + length));
      entry = new Encoded(bytes);
    }
    const count = (this.#counts[COUNT] as number) - 1;
    this.#counts[COUNT] = count;
    if (count === 0) {
      this.#fields[TOP] = 0;
      this.#fields[LIVE] = 0;
      this.#counts[HEAD] = 0;
    } else {
      const size = align(keyLength + length);
      this.#fields[LIVE] = (this.#fields[LIVE] as number) - size;
      if (offset + size === this.#fields[TOP]) this.#fields[TOP] = offset; // the newest entry: give its bytes back at once
    }
    return entry;
  }

  #write(slot: number, offset: number, length: number, keyLength: number, seq: number, origin: number): void {
    const s = slot * SLOT;
    const slots = this.#slots;
    slots[s + OFFSET] = offset;
    slots[s + LENGTH] = length;
    slots[s + KEY_LENGTH] = keyLength;
    slots[s + SEQ] = seq;
    slots[s + ORIGIN] = origin;
  }

  /** Remaps the views when another thread grew the memory. */
  #sync(): void {
    if (this.#counts[GENERATION] !== this.#generation) this.#remap();
  }

  #remap(): void {
    this.#generation = this.#counts[GENERATION] as number;
    this.#slots = new Float64Array(this.memory.index, 0, this.memory.index.byteLength / 8);
    this.#bytes = Buffer.from(this.memory.arena, 0, this.memory.arena.byteLength);
  }

  #grew(): void {
    this.#counts[GENERATION] = (this.#counts[GENERATION] as number) + 1;
    this.#remap();
  }

  #growIndex(): void {
    const capacity = this.#counts[CAPACITY] as number;
    if (capacity * 2 * SLOT * 8 > MAX_INDEX_BYTES) {
      throw new RangeError(`Cannot put an item: the queue holds ${capacity} items, as many as its shared memory can index`);
    }
    grow(this.memory.index, capacity * 2 * SLOT * 8);
    this.#counts[CAPACITY] = capacity * 2;
    this.#grew();
    // A ring that wrapped around continues into the new upper half.
    const head = this.#counts[HEAD] as number;
    const wrapped = head + (this.#counts[COUNT] as number) - capacity;
    if (!this.#heap && wrapped > 0) this.#slots.copyWithin(capacity * SLOT, 0, wrapped * SLOT);
  }

  /** The offset of `size` free bytes, compacting or growing the arena as needed. */
  #allocate(size: number): number {
    size = align(size);
    const top = this.#fields[TOP] as number;
    const live = this.#fields[LIVE] as number;
    let capacity = this.#bytes.length;
    if (top + size <= capacity) {
      this.#fields[TOP] = top + size;
      this.#fields[LIVE] = live + size;
      return top;
    }
    const needed = live + size;
    if (needed * 2 > capacity && capacity < MAX_BYTES) {
      capacity = Math.min(MAX_BYTES, Math.max(capacity * 2, nextPowerOfTwo(needed * 2)));
      grow(this.memory.arena, capacity);
      this.#grew();
      if (top + size <= capacity) {
        this.#fields[TOP] = top + size;
        this.#fields[LIVE] = live + size;
        return top;
      }
    }
    if (needed > capacity) {
      throw new RangeError(`Cannot put an item of ${size} bytes: the queue already holds ${live} bytes and its shared memory holds at most ${MAX_BYTES}`);
    }
    this.#compact();
    const start = this.#fields[TOP] as number;
    this.#fields[TOP] = start + size;
    this.#fields[LIVE] = live + size;
    return start;
  }

  /** Moves every live entry to the front of the arena, in offset order. */
  #compact(): void {
    const count = this.#counts[COUNT] as number;
    const capacity = this.#counts[CAPACITY] as number;
    const head = this.#heap ? 0 : (this.#counts[HEAD] as number);
    const slots = this.#slots;
    const order: number[] = new Array<number>(count);
    // A deque's entries lie in the arena in queue order already (allocated in put order, and
    // compaction keeps it): the sort, O(n log n) under the lock, is needed for a heap only.
    let sorted = true;
    let last = -1;
    for (let i = 0; i < count; i++) {
      const s = ((head + i) % capacity) * SLOT;
      order[i] = s;
      const offset = slots[s + OFFSET] as number;
      if (offset < last) sorted = false;
      last = offset;
    }
    if (!sorted) order.sort((a, b) => (slots[a + OFFSET] as number) - (slots[b + OFFSET] as number));
    let top = 0;
    for (const s of order) {
      const offset = slots[s + OFFSET] as number;
      const size = align((slots[s + KEY_LENGTH] as number) + (slots[s + LENGTH] as number));
      if (offset !== top) this.#bytes.copyWithin(top, offset, offset + size);
      slots[s + OFFSET] = top;
      top += size;
    }
    this.#fields[TOP] = top;
    this.#fields[LIVE] = top;
  }

  // --- the heap ---------------------------------------------------------------------------------

  #popHeap(): unknown {
    const count = this.#counts[COUNT] as number;
    const slots = this.#slots;
    // Swap the lowest entry with the last one, take it from the end, then restore the heap.
    const seq = slots[SEQ] as number;
    this.#swap(0, count - 1);
    const entry = this.#take(count - 1);
    this.#priorities.delete(seq);
    if (count - 1 > 1) this.#siftDown(0, count - 1);
    if (this.#priorities.size > 2 * count + 64) this.#priorities.clear(); // entries other threads took
    return entry;
  }

  #priority(slot: number): unknown {
    const s = slot * SLOT;
    const seq = this.#slots[s + SEQ] as number;
    let priority = this.#priorities.get(seq);
    if (priority === undefined && !this.#priorities.has(seq)) {
      const offset = this.#slots[s + OFFSET] as number;
      const keyLength = this.#slots[s + KEY_LENGTH] as number;
      priority = keyLength === 0 ? undefined : v8.deserialize(Buffer.from(this.#bytes.subarray(offset, offset + keyLength)));
      this.#priorities.set(seq, priority);
    }
    return priority;
  }

  #before(i: number, j: number): boolean {
    const c = pythonCompare(this.#priority(i), this.#priority(j));
    return c < 0 || (c === 0 && (this.#slots[i * SLOT + SEQ] as number) < (this.#slots[j * SLOT + SEQ] as number));
  }

  #swap(i: number, j: number): void {
    if (i === j) return;
    const slots = this.#slots;
    const a = i * SLOT;
    const b = j * SLOT;
    for (let k = 0; k < SLOT; k++) {
      const t = slots[a + k] as number;
      slots[a + k] = slots[b + k] as number;
      slots[b + k] = t;
    }
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number, n: number): void {
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }
}

function align(size: number): number {
  return Math.ceil(size / ALIGN) * ALIGN;
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}
