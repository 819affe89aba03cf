/**
 * A single-producer, single-consumer byte ring in a SharedArrayBuffer: the thread pool's hot path.
 *
 * Records are a 4-byte length and the bytes, padded to 4. One `postMessage` per task costs a
 * serialization, a lock and a wake-up; a record here costs a copy and two atomic stores, and a
 * consumer drains everything written since it last looked in one pass. Whatever the producer
 * committed is still readable after it dies, which is how a crashed worker's finished results
 * survive it.
 *
 * Header (Int32): [0] write position, [1] read position (both byte counts that wrap at 2^32),
 * [2] set to 1 while the producer sleeps for space.
 */

const HEADER_BYTES = 16;

/** `Atomics.waitAsync` (Node 16+; the ES2023 lib used here does not declare it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;
const WRITE = 0;
const READ = 1;
const PRODUCER_WAITING = 2;
/** Length word that sends the reader back to the start of the ring. */
const WRAP = -1;

export class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly #header: Int32Array;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #capacity: number;
  readonly #mask: number;

  /** A new ring of `capacity` bytes (a power of two), or a view of an existing ring's buffer. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    this.buffer = typeof capacityOrBuffer === "number" ? new SharedArrayBuffer(HEADER_BYTES + capacityOrBuffer) : capacityOrBuffer;
    this.#capacity = this.buffer.byteLength - HEADER_BYTES;
    if (this.#capacity <= 0 || (this.#capacity & (this.#capacity - 1)) !== 0) throw new RangeError(`Ring capacity must be a power of two: got ${this.#capacity}`);
    this.#mask = this.#capacity - 1;
    this.#header = new Int32Array(this.buffer, 0, 4);
    this.#words = new Int32Array(this.buffer, HEADER_BYTES);
    this.#bytes = new Uint8Array(this.buffer, HEADER_BYTES);
  }

  /** The largest record `tryWrite` accepts; larger ones must travel another way. */
  get maxRecord(): number {
    return this.#capacity >>> 2;
  }

  /** True when the consumer has read everything committed. */
  isEmpty(): boolean {
    return Atomics.load(this.#header, WRITE) === Atomics.load(this.#header, READ);
  }

  /**
   * Appends one record made of `parts` (concatenated) and wakes the consumer.
   * Returns false, writing nothing, when the ring has no room for it now.
   */
  tryWrite(parts: readonly Uint8Array[], length: number): boolean {
    const size = 4 + ((length + 3) & ~3);
    const w = Atomics.load(this.#header, WRITE) >>> 0;
    const r = Atomics.load(this.#header, READ) >>> 0;
    const free = this.#capacity - ((w - r) >>> 0);
    const at = w & this.#mask;
    const toEnd = this.#capacity - at;
    const skip = size > toEnd ? toEnd : 0;
    if (skip + size > free) return false;
    let pos = at;
    if (skip) {
      this.#words[at >>> 2] = WRAP;
      pos = 0;
    }
    this.#words[pos >>> 2] = length;
    let offset = pos + 4;
    for (const part of parts) {
      this.#bytes.set(part, offset);
      offset += part.length;
    }
    Atomics.store(this.#header, WRITE, (w + skip + size) | 0);
    Atomics.notify(this.#header, WRITE, 1);
    return true;
  }

  /**
   * Blocking write for worker threads: waits (Atomics.wait) while the ring is full.
   * Never call it on a thread whose consumer is itself.
   */
  writeSync(parts: readonly Uint8Array[], length: number): void {
    while (!this.tryWrite(parts, length)) {
      Atomics.store(this.#header, PRODUCER_WAITING, 1);
      const r = Atomics.load(this.#header, READ);
      if (!this.hasRoom(length)) Atomics.wait(this.#header, READ, r, 50);
      Atomics.store(this.#header, PRODUCER_WAITING, 0);
    }
  }

  /** Whether a record of `length` bytes would fit now. Only the producer's own writes shrink the room. */
  hasRoom(length: number): boolean {
    const size = 4 + ((length + 3) & ~3);
    const w = Atomics.load(this.#header, WRITE) >>> 0;
    const r = Atomics.load(this.#header, READ) >>> 0;
    const toEnd = this.#capacity - (w & this.#mask);
    return (size > toEnd ? toEnd : 0) + size <= this.#capacity - ((w - r) >>> 0);
  }

  /**
   * Calls `onRecord` for every committed record, in order, then frees their space.
   * The view passed to `onRecord` is only valid during the call. Returns how many were read.
   */
  drain(onRecord: (bytes: Uint8Array) => void): number {
    let r = Atomics.load(this.#header, READ) >>> 0;
    const w = Atomics.load(this.#header, WRITE) >>> 0;
    let count = 0;
    try {
      while (r !== w) {
        let at = r & this.#mask;
        let length = this.#words[at >>> 2]!;
        if (length === WRAP) {
          r = (r + this.#capacity - at) >>> 0;
          at = 0;
          length = this.#words[0]!;
        }
        const view = this.#bytes.subarray(at + 4, at + 4 + length);
        r = (r + 4 + ((length + 3) & ~3)) >>> 0;
        count++;
        onRecord(view);
      }
    } finally {
      Atomics.store(this.#header, READ, r | 0);
      if (Atomics.load(this.#header, PRODUCER_WAITING)) Atomics.notify(this.#header, READ, 1);
    }
    return count;
  }

  /** The write position now: pass it to `waitAsync`/`waitSync` to sleep until it moves. */
  writePosition(): number {
    return Atomics.load(this.#header, WRITE);
  }

  /** Resolves when something is written after `position` (or at once if it already was). */
  waitAsync(position: number): Promise<unknown> | undefined {
    const result = waitAsync(this.#header, WRITE, position);
    return result.async ? result.value : undefined;
  }

  /** Blocks this (worker) thread until something is written after `position`, or `timeout` ms pass. */
  waitSync(position: number, timeout: number): void {
    Atomics.wait(this.#header, WRITE, position, timeout);
  }
}
