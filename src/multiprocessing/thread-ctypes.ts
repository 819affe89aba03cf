/**
 * `Value`, `Array`, `RawValue` and `RawArray` of the "worker" start method: numbers in a
 * SharedArrayBuffer, read and written synchronously by every thread they are passed to, as
 * Python's ctypes in shared memory are by every process.
 *
 *   const ctx = getContext("worker");
 *   const counter = ctx.Value("i", 0);                    // a number, guarded by a threading.RLock
 *   const totals = ctx.Array("d", 4);                     // four doubles; totals[2] reads one
 *   // in each thread it is passed to (Python's `with counter.get_lock(): counter.value += 1`):
 *   counter.getLock().acquireSync();
 *   try { counter.value += 1; } finally { counter.getLock().release(); }
 *   counter.add(1);                                       // the same in one atomic step, lock-free
 *
 * Memory is shared within one process only: a thread-shared Value sent to another process fails at
 * once, naming where (the "spawn" context's Value lives in its owner and is reached over a socket).
 */
import { registerShareable } from "../internal/codec.js";
import { describe } from "../internal/options.js";
import { Lock as ThreadLock } from "../threading/lock.js";
import { RLock as ThreadRLock } from "../threading/rlock.js";
import { allocateWords, checkWords, recall, remember } from "../threading/shared.js";
import type { RLockState } from "../threading/rlock.js";
import { withIndexAccess } from "./index-access.js";
import { TYPED_ARRAYS, checkElement, checkTypeCode, isBig, type ElementOf, type TypeCode } from "./typecodes.js";

/** The typed array that holds a type code's numbers. */
export type TypedArrayOf<C extends TypeCode> = C extends "b"
  ? Int8Array
  : C extends "B" | "c"
    ? Uint8Array
    : C extends "h"
      ? Int16Array
      : C extends "H"
        ? Uint16Array
        : C extends "i"
          ? Int32Array
          : C extends "I"
            ? Uint32Array
            : C extends "l" | "q"
              ? BigInt64Array
              : C extends "L" | "Q"
                ? BigUint64Array
                : C extends "f"
                  ? Float32Array
                  : Float64Array;

/** The lock guarding a thread-shared Value or Array. */
export type ThreadCtypeLock = ThreadLock | ThreadRLock;

/** Options of the worker context's `Value` and `Array`. */
export interface ThreadCtypeOptions {
  /** true (default): a new threading.RLock guards it; false: none (`RawValue`); or the lock to use. */
  lock?: boolean | ThreadCtypeLock | undefined;
}

type Numbers = { [index: number]: number | bigint; readonly length: number };

/** Python's `ctypes` integers wrap; Atomics works on the integer arrays, not on the float ones. */
function isInteger(code: TypeCode): boolean {
  return code !== "f" && code !== "d";
}

function sharedNumbers(code: TypeCode, values: ArrayLike<unknown>, where: string): Numbers {
  const Typed = TYPED_ARRAYS[code] as unknown as { new (buffer: ArrayBufferLike, offset: number, length: number): Numbers; readonly BYTES_PER_ELEMENT: number };
  const data = new Typed(new SharedArrayBuffer(Math.max(1, values.length) * Typed.BYTES_PER_ELEMENT), 0, values.length);
  for (let i = 0; i < values.length; i++) data[i] = checkElement(code, values[i], `${where}[${i}]`);
  return data;
}

function lockFrom(option: ThreadCtypeOptions["lock"], where: string): ThreadCtypeLock | null {
  if (option === undefined || option === true) return new ThreadRLock();
  if (option === false) return null;
  if (option instanceof ThreadLock || option instanceof ThreadRLock) return option;
  throw new TypeError(`${where}: lock must be true, false or a threading Lock/RLock: got ${describe(option)}`);
}

/**
 * Reads, writes and adds to element `i`: through Atomics for the integer arrays (never torn, and
 * `add` is one atomic step), and for floats through a compare-and-swap on the same bits.
 * @internal
 */
export class SharedCells {
  readonly #data: Numbers;
  readonly #atomic: boolean;
  /** The float array's bits as integers of the same width, for compare-and-swap. */
  readonly #bits: Int32Array | BigInt64Array | undefined;
  readonly #scratch: Float32Array | Float64Array | undefined;
  readonly #scratchBits: Int32Array | BigInt64Array | undefined;

  constructor(
    data: Numbers,
    readonly code: TypeCode,
    /** Who these cells are, in every thread: a Value or Array that comes back to a thread is the same object. */
    readonly identity: Int32Array = allocateWords(0),
  ) {
    this.#data = data;
    this.#atomic = isInteger(code);
    if (!this.#atomic) {
      const array = data as unknown as Float32Array | Float64Array;
      const wide = code === "d";
      this.#bits = wide ? new BigInt64Array(array.buffer, array.byteOffset, array.length) : new Int32Array(array.buffer, array.byteOffset, array.length);
      this.#scratch = wide ? new Float64Array(1) : new Float32Array(1);
      this.#scratchBits = wide ? new BigInt64Array(this.#scratch.buffer) : new Int32Array(this.#scratch.buffer);
    }
  }

  get length(): number {
    return this.#data.length;
  }

  get array(): Numbers {
    return this.#data;
  }

  load(i: number): number | bigint {
    return this.#atomic ? Atomics.load(this.#data as Int32Array, i) : this.#data[i]!;
  }

  store(i: number, value: number | bigint): void {
    if (this.#atomic) Atomics.store(this.#data as Int32Array, i, value as number);
    else this.#data[i] = value;
  }

  /** Adds `delta` in one atomic step; returns the new value (wrapped as the type wraps). */
  add(i: number, delta: number | bigint): number | bigint {
    if (this.#atomic) {
      Atomics.add(this.#data as Int32Array, i, delta as number);
      return Atomics.load(this.#data as Int32Array, i);
    }
    const bits = this.#bits as Int32Array;
    const scratch = this.#scratch!;
    const scratchBits = this.#scratchBits as Int32Array;
    for (;;) {
      const seen = Atomics.load(bits, i);
      scratchBits[0] = seen;
      scratch[0] = scratch[0]! + (delta as number);
      if (Atomics.compareExchange(bits, i, seen, scratchBits[0]!) === seen) return scratch[0]!;
    }
  }
}

/** A number shared by the threads of one process (the worker context's `Value` and `RawValue`). */
export class ThreadValue<C extends TypeCode = TypeCode> {
  readonly #cells: SharedCells;
  readonly #lock: ThreadCtypeLock | null;

  /** @internal Use `getContext("worker").Value(typecode, value)`. */
  constructor(cells: SharedCells, lock: ThreadCtypeLock | null) {
    this.#cells = cells;
    this.#lock = lock;
  }

  get typecode(): C {
    return this.#cells.code as C;
  }

  /** The number now (Python's `.value`); assigning stores a new one. */
  get value(): ElementOf<C> {
    return this.#cells.load(0) as ElementOf<C>;
  }

  set value(value: ElementOf<C>) {
    this.#cells.store(0, checkElement(this.#cells.code, value, "Value.value"));
  }

  /** Adds `delta` in one atomic step, without the lock; returns the new value. */
  add(delta: ElementOf<C>): ElementOf<C> {
    return this.#cells.add(0, checkElement(this.#cells.code, delta, "Value.add")) as ElementOf<C>;
  }

  /** The lock for compound updates (`withLock`, `withLockSync`). Throws for a RawValue. */
  getLock(): ThreadCtypeLock {
    if (this.#lock === null) throw new TypeError("Cannot get the lock of a RawValue (or a Value made with lock: false)");
    return this.#lock;
  }

  /** The one-element typed array over the shared memory (Python's `get_obj()`). */
  getObj(): TypedArrayOf<C> {
    return this.#cells.array as unknown as TypedArrayOf<C>;
  }

  /** @internal */
  get lockOrNull(): ThreadCtypeLock | null {
    return this.#lock;
  }

  /** @internal */
  get identity(): Int32Array {
    return this.#cells.identity;
  }

  toString(): string {
    return `Value(${JSON.stringify(this.typecode)}, ${String(this.value)})`;
  }
}

/**
 * An array of numbers shared by the threads of one process (the worker context's `Array`):
 * `arr[i]` reads and writes element i, `arr.length`, `for (const x of arr)`, `arr.toArray()`.
 */
export class ThreadArray<C extends TypeCode = TypeCode> {
  // Not #private: the index proxy stands in for `this`, and private fields are not reachable through it.
  private readonly cells: SharedCells;
  private readonly lock: ThreadCtypeLock | null;
  [index: number]: ElementOf<C>;

  /** @internal Use `getContext("worker").Array(typecode, sizeOrValues)`. */
  constructor(cells: SharedCells, lock: ThreadCtypeLock | null) {
    this.cells = cells;
    this.lock = lock;
    Object.defineProperty(this, "cells", { enumerable: false });
    Object.defineProperty(this, "lock", { enumerable: false });
    return withIndexAccess<ThreadArray<C>, ElementOf<C>>(this);
  }

  get typecode(): C {
    return this.cells.code as C;
  }

  get length(): number {
    return this.cells.length;
  }

  /** Element `index` (a RangeError past the end, as Python's IndexError). */
  get(index: number): ElementOf<C> {
    return this.cells.load(checkIndex(this.cells, index, "get")) as ElementOf<C>;
  }

  /** Stores `value` at `index`. */
  set(index: number, value: ElementOf<C>): void {
    this.cells.store(checkIndex(this.cells, index, "set"), checkElement(this.cells.code, value, `Array[${index}]`));
  }

  /** Adds `delta` to element `index` in one atomic step, without the lock; returns the new value. */
  add(index: number, delta: ElementOf<C>): ElementOf<C> {
    return this.cells.add(checkIndex(this.cells, index, "add"), checkElement(this.cells.code, delta, "Array.add")) as ElementOf<C>;
  }

  /** A copy of every element (Python's `arr[:]`). */
  toArray(): Array<ElementOf<C>> {
    return Array.from({ length: this.cells.length }, (_, i) => this.cells.load(i) as ElementOf<C>);
  }

  /** Replaces every element (Python's `arr[:] = values`); the lengths must match. */
  setAll(values: ReadonlyArray<ElementOf<C>>): void {
    if (values.length !== this.cells.length) throw new RangeError(`Array.setAll: cannot assign ${values.length} values to an array of ${this.cells.length}`);
    values.forEach((v, i) => this.cells.store(i, checkElement(this.cells.code, v, `Array.setAll[${i}]`)));
  }

  *[Symbol.iterator](): IterableIterator<ElementOf<C>> {
    for (let i = 0; i < this.cells.length; i++) yield this.cells.load(i) as ElementOf<C>;
  }

  /** The lock for compound updates. Throws for an Array made with `lock: false`. */
  getLock(): ThreadCtypeLock {
    if (this.lock === null) throw new TypeError("Cannot get the lock of an Array made with lock: false (use RawArray for a bare typed array)");
    return this.lock;
  }

  /** The typed array over the shared memory (Python's `get_obj()`). */
  getObj(): TypedArrayOf<C> {
    return this.cells.array as unknown as TypedArrayOf<C>;
  }

  /** @internal */
  get lockOrNull(): ThreadCtypeLock | null {
    return this.lock;
  }

  /** @internal */
  get identity(): Int32Array {
    return this.cells.identity;
  }

  toString(): string {
    return `Array(${JSON.stringify(this.typecode)}, [${this.toArray().join(", ")}])`;
  }
}

function checkIndex(cells: SharedCells, index: unknown, where: string): number {
  // A negative index counts from the end, as Python's arr[-1] (arr[-1] itself stays a property).
  if (!Number.isInteger(index) || (index as number) < -cells.length || (index as number) >= cells.length) {
    throw new RangeError(`Array.${where}: index ${String(index)} is out of range: the array has ${cells.length} elements`);
  }
  return (index as number) < 0 ? (index as number) + cells.length : (index as number);
}

function initialValues(code: TypeCode, sizeOrValues: unknown, where: string): ArrayLike<unknown> {
  if (typeof sizeOrValues === "number") {
    if (!Number.isInteger(sizeOrValues) || sizeOrValues < 0) throw new RangeError(`${where}: size must be a non-negative integer: got ${sizeOrValues}`);
    return new globalThis.Array<number | bigint>(sizeOrValues).fill(isBig(code) ? 0n : 0);
  }
  if (globalThis.Array.isArray(sizeOrValues) || ArrayBuffer.isView(sizeOrValues)) return sizeOrValues as ArrayLike<unknown>;
  throw new TypeError(`${where}: expected a size or an array of values: got ${describe(sizeOrValues)}`);
}

/** A number of type `typecode` shared by threads, initially `value` (default 0), with a lock. */
export function threadValue<C extends TypeCode>(typecode: C, value?: ElementOf<C>, options: ThreadCtypeOptions = {}): ThreadValue<C> {
  const code = checkTypeCode(typecode, "Value");
  const cells = new SharedCells(sharedNumbers(code, [value ?? (isBig(code) ? 0n : 0)], "Value"), code);
  return remembered(VALUE_KIND, new ThreadValue<C>(cells, lockFrom(options.lock, "Value")));
}

/** A number shared by threads, without a lock (Python's `RawValue`). */
export function threadRawValue<C extends TypeCode>(typecode: C, value?: ElementOf<C>): ThreadValue<C> {
  return threadValue(typecode, value, { lock: false });
}

/** An array of `typecode` numbers shared by threads: `size` zeros, or a copy of `values`, with a lock. */
export function threadArray<C extends TypeCode>(typecode: C, sizeOrValues: number | ArrayLike<ElementOf<C>>, options: ThreadCtypeOptions = {}): ThreadArray<C> {
  const code = checkTypeCode(typecode, "Array");
  const cells = new SharedCells(sharedNumbers(code, initialValues(code, sizeOrValues, "Array"), "Array"), code);
  return remembered(ARRAY_KIND, new ThreadArray<C>(cells, lockFrom(options.lock, "Array")));
}

/**
 * A typed array over a SharedArrayBuffer (Python's `RawArray`): indexable, sized, and shared as it
 * is with every thread it is passed to.
 */
export function threadRawArray<C extends TypeCode>(typecode: C, sizeOrValues: number | ArrayLike<ElementOf<C>>): TypedArrayOf<C> {
  const code = checkTypeCode(typecode, "RawArray");
  return sharedNumbers(code, initialValues(code, sizeOrValues, "RawArray"), "RawArray") as unknown as TypedArrayOf<C>;
}

const VALUE_KIND = "multiprocessing.ThreadValue";
const ARRAY_KIND = "multiprocessing.ThreadArray";

/** Makes `value` this thread's object for its cells, which a Value or Array arriving here again is. */
function remembered<T extends ThreadValue | ThreadArray>(kind: string, value: T): T {
  remember(kind, value.identity, value);
  return value;
}

interface Wire {
  code: TypeCode;
  array: Numbers;
  identity: Int32Array;
  lock: { reentrant: true; state: RLockState } | { reentrant: false; state: Int32Array } | null;
}

function lockWire(lock: ThreadCtypeLock | null): Wire["lock"] {
  if (lock === null) return null;
  return lock instanceof ThreadRLock ? { reentrant: true, state: lock.sharedState } : { reentrant: false, state: lock.sharedState };
}

function lockOf(wire: Wire["lock"]): ThreadCtypeLock | null {
  if (wire === null) return null;
  return wire.reentrant ? ThreadRLock.fromShared(wire.state) : ThreadLock.fromShared(wire.state);
}

function notAcrossProcesses(what: string, where: string): TypeError {
  return new TypeError(
    `${where}: cannot send the worker context's ${what} to another process: its numbers live in memory shared by the threads of one process; ` +
      `use the "spawn" context's ${what} (getContext("spawn").${what}) or a Manager's between processes`,
  );
}

/** Both kinds cross threads the same way: their typed array (shared as it is) and their lock's shared state. */
function registerCtype<T extends ThreadValue | ThreadArray>(what: "Value" | "Array", Kind: new (cells: SharedCells, lock: ThreadCtypeLock | null) => T): void {
  const kind = what === "Value" ? VALUE_KIND : ARRAY_KIND;
  registerShareable<T, Wire>({
    kind,
    module: import.meta.url,
    is: (value): value is T => value instanceof Kind,
    encode(value, boundary, where) {
      if (boundary === "process") throw notAcrossProcesses(what, where);
      return { code: value.typecode, array: value.getObj() as unknown as Numbers, identity: value.identity, lock: lockWire(value.lockOrNull) };
    },
    decode(wire) {
      const identity = checkWords(wire.identity, 0, `worker context ${what}`);
      return recall<T>(kind, identity) ?? remembered(kind, new Kind(new SharedCells(wire.array, wire.code, identity), lockOf(wire.lock)));
    },
  });
}

registerCtype("Value", ThreadValue);
registerCtype("Array", ThreadArray);
