/**
 * Process-shared `Value` and `Array` (`multiprocessing.Value` / `Array`): numbers kept in the owner
 * process in a typed array of the type code's kind (`"i"` wraps as a C int does), read and written
 * with async calls, each guarded by a process-shared `RLock` (`getLock()`) as in Python:
 *
 *   const counter = Value("i", 0);
 *   await counter.getLock().withLock(async () => counter.set((await counter.get()) + 1));
 *
 * Node processes share no memory, so `.value` cannot be a plain property; `get()`/`set()` are the
 * price. (Inside one process, worker threads can share a `SharedArrayBuffer` instead.)
 */
import { describe } from "../internal/options.js";
import { SharedObject } from "./shared-object.js";
import { SharedRef, registerShared, rememberShared } from "./owner.js";
import { RLock } from "./rlock.js";
import { Lock } from "./lock.js";
import { TYPED_ARRAYS, checkElement, checkTypeCode, type ElementOf, type TypeCode } from "./typecodes.js";
import type { Dispatch } from "./server.js";
import type { Token } from "./protocol.js";

type Numbers = ArrayLike<number | bigint> & { [index: number]: number | bigint; length: number };

function arrayDispatch(data: Numbers): Dispatch {
  const check = (index: unknown): number => {
    // A negative index counts from the end, as Python's arr[-1].
    if (!Number.isInteger(index) || (index as number) < -data.length || (index as number) >= data.length) {
      throw new RangeError(`Cannot access index ${String(index)}: the array has ${data.length} elements`);
    }
    return (index as number) < 0 ? (index as number) + data.length : (index as number);
  };
  return (method, args) => {
    switch (method) {
      case "get":
        return data[check(args[0])];
      case "set":
        data[check(args[0])] = args[1] as number;
        return undefined;
      case "all":
        return Array.from(data as ArrayLike<number>);
      case "setAll": {
        const values = args[0] as number[];
        if (values.length !== data.length) throw new RangeError(`Cannot assign ${values.length} values to an array of ${data.length}`);
        values.forEach((v, i) => (data[i] = v));
        return undefined;
      }
      case "add": {
        const i = check(args[0]);
        data[i] = (data[i] as number) + (args[1] as number);
        return data[i];
      }
      default:
        throw new TypeError(`Cannot call ${method} on a shared array`);
    }
  };
}

interface Made {
  ref: SharedRef;
  lock: Lock | null;
  typecode: TypeCode;
  length: number;
}

function serveNumbers(kind: string, typecode: TypeCode, initial: ArrayLike<number | bigint>, lock: boolean | Lock): Made {
  const data = new TYPED_ARRAYS[typecode](initial.length) as unknown as Numbers;
  for (let i = 0; i < initial.length; i++) data[i] = initial[i]!;
  const ref = SharedRef.serve(kind, data, { dispatch: arrayDispatch(data) });
  const theLock = lock === false ? null : lock === true ? new RLock() : lock;
  if (theLock !== null && !(theLock instanceof Lock)) throw new TypeError(`${kind}: lock must be true, false or a multiprocessing Lock/RLock`);
  return { ref, lock: theLock, typecode, length: initial.length };
}

/** Options of `Value` and `Array`. */
export interface SharedNumberOptions {
  /** true (default): a new RLock guards it; false: none (Python's RawValue); or the lock to use. */
  lock?: boolean | Lock | undefined;
}

/** A number shared between processes. */
export class SharedValue<C extends TypeCode = TypeCode> extends SharedObject {
  readonly typecode: C;
  readonly #lock: Lock | null;

  /** @internal Use `Value(typecode, value)`. */
  constructor(made: Made) {
    super(made.ref);
    this.typecode = made.typecode as C;
    this.#lock = made.lock;
    rememberShared(made.ref, this);
  }

  /** The current value. */
  async get(): Promise<ElementOf<C>> {
    return (await this.call("get", [0])) as ElementOf<C>;
  }

  /** Sets the value. Rejects a TypeError for a value of the wrong type (a bigint for "q", ...). */
  set(value: ElementOf<C>): Promise<void> {
    try {
      checkElement(this.typecode, value, "Value.set");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.post("set", [0, value]) as Promise<void>;
  }

  /** Adds `delta` in one step in the owner (atomic without the lock) and resolves the new value. */
  async add(delta: ElementOf<C>): Promise<ElementOf<C>> {
    checkElement(this.typecode, delta, "Value.add");
    return (await this.call("add", [0, delta])) as ElementOf<C>;
  }

  /** The lock guarding compound updates. Throws for a value made with `lock: false`. */
  getLock(): Lock {
    if (this.#lock === null) throw new TypeError("Cannot get the lock of a Value made with lock: false");
    return this.#lock;
  }

  /** The lock, or null (Python's `get_obj` counterpart is this object itself). */
  get lockOrNull(): Lock | null {
    return this.#lock;
  }
}

/** An array of numbers shared between processes. */
export class SharedArray<C extends TypeCode = TypeCode> extends SharedObject {
  readonly typecode: C;
  readonly length: number;
  readonly #lock: Lock | null;

  /** @internal Use `Array(typecode, sizeOrValues)`. */
  constructor(made: Made) {
    super(made.ref);
    this.typecode = made.typecode as C;
    this.length = made.length;
    this.#lock = made.lock;
    rememberShared(made.ref, this);
  }

  async get(index: number): Promise<ElementOf<C>> {
    return (await this.call("get", [index])) as ElementOf<C>;
  }

  /** Sets element `index`. Rejects a TypeError for a value of the wrong type. */
  set(index: number, value: ElementOf<C>): Promise<void> {
    try {
      checkElement(this.typecode, value, `Array[${index}]`);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.post("set", [index, value]) as Promise<void>;
  }

  /** Adds `delta` to element `index` in one step in the owner; resolves the new value. */
  async add(index: number, delta: ElementOf<C>): Promise<ElementOf<C>> {
    checkElement(this.typecode, delta, "Array.add");
    return (await this.call("add", [index, delta])) as ElementOf<C>;
  }

  /** A copy of every element (Python's `arr[:]`). */
  async toArray(): Promise<Array<ElementOf<C>>> {
    return (await this.call("all", [])) as Array<ElementOf<C>>;
  }

  /** Replaces every element (Python's `arr[:] = values`). */
  setAll(values: ReadonlyArray<ElementOf<C>>): Promise<void> {
    let all: unknown[];
    try {
      const given: unknown = values;
      if (typeof given !== "object" || given === null || typeof (given as Iterable<unknown>)[Symbol.iterator] !== "function") {
        throw new TypeError(`Array.setAll: values must be an array (or an iterable) of numbers: got ${describe(given)}`);
      }
      all = [...values];
      if (all.length !== this.length) throw new RangeError(`Array.setAll: cannot assign ${all.length} values to an array of ${this.length}`);
      all.forEach((value, i) => checkElement(this.typecode, value, `Array.setAll[${i}]`));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.post("setAll", [all]) as Promise<void>;
  }

  getLock(): Lock {
    if (this.#lock === null) throw new TypeError("Cannot get the lock of an Array made with lock: false");
    return this.#lock;
  }

  get lockOrNull(): Lock | null {
    return this.#lock;
  }
}

/** A shared number of type `typecode` (`"i"`, `"d"`, `"q"`...), initially `value` (default 0). */
export function Value<C extends TypeCode>(typecode: C, value?: ElementOf<C>, options: SharedNumberOptions = {}): SharedValue<C> {
  const code = checkTypeCode(typecode, "Value");
  const big = TYPED_ARRAYS[code] === BigInt64Array || TYPED_ARRAYS[code] === BigUint64Array;
  const initial = checkElement(code, value ?? (big ? 0n : 0), "Value");
  return new SharedValue<C>(serveNumbers("Value", code, [initial], options.lock ?? true));
}

/** A shared array of `typecode` numbers: `size` zeros, or a copy of `values`. */
function SharedArrayOf<C extends TypeCode>(typecode: C, sizeOrValues: number | ReadonlyArray<ElementOf<C>>, options: SharedNumberOptions = {}): SharedArray<C> {
  const code = checkTypeCode(typecode, "Array");
  const big = TYPED_ARRAYS[code] === BigInt64Array || TYPED_ARRAYS[code] === BigUint64Array;
  let initial: ArrayLike<number | bigint>;
  if (typeof sizeOrValues === "number") {
    if (!Number.isInteger(sizeOrValues) || sizeOrValues < 0) throw new RangeError(`Array: size must be a non-negative integer: got ${sizeOrValues}`);
    initial = new globalThis.Array<number | bigint>(sizeOrValues).fill(big ? 0n : 0);
  } else if (globalThis.Array.isArray(sizeOrValues)) {
    (sizeOrValues as readonly unknown[]).forEach((value, i) => checkElement(code, value, `Array[${i}]`));
    initial = sizeOrValues as ArrayLike<number | bigint>;
  } else {
    throw new TypeError(`Array: expected a size or an array of values: got ${describe(sizeOrValues)}`);
  }
  return new SharedArray<C>(serveNumbers("Array", code, initial, options.lock ?? true));
}
export { SharedArrayOf as Array };

/** A shared number without a lock (Python's `RawValue`): `Value(typecode, value, { lock: false })`. */
export function RawValue<C extends TypeCode>(typecode: C, value?: ElementOf<C>): SharedValue<C> {
  return Value(typecode, value, { lock: false });
}

/** A shared array without a lock (Python's `RawArray`): `Array(typecode, sizeOrValues, { lock: false })`. */
export function RawArray<C extends TypeCode>(typecode: C, sizeOrValues: number | ReadonlyArray<ElementOf<C>>): SharedArray<C> {
  return SharedArrayOf(typecode, sizeOrValues, { lock: false });
}

type Extra = { typecode: TypeCode; length: number; lock: { token: Token; reentrant: boolean } | null };

function lockExtra(lock: Lock | null): Extra["lock"] {
  return lock === null ? null : { token: lock.ref.token, reentrant: lock instanceof RLock };
}

function rebuildLock(extra: Extra["lock"]): Lock | null {
  if (extra === null) return null;
  const ref = SharedRef.fromToken(extra.token);
  return extra.reentrant ? RLock.fromRef(ref) : Lock.fromRef(ref);
}

registerShared(
  "multiprocessing.Value",
  import.meta.url,
  SharedValue,
  (ref, extra) => {
    const e = extra as Extra;
    return new SharedValue({ ref, lock: rebuildLock(e.lock), typecode: e.typecode, length: 1 });
  },
  (value) => ({ typecode: value.typecode, length: 1, lock: lockExtra(value.lockOrNull) }) satisfies Extra,
);

registerShared(
  "multiprocessing.Array",
  import.meta.url,
  SharedArray,
  (ref, extra) => {
    const e = extra as Extra;
    return new SharedArray({ ref, lock: rebuildLock(e.lock), typecode: e.typecode, length: e.length });
  },
  (array) => ({ typecode: array.typecode, length: array.length, lock: lockExtra(array.lockOrNull) }) satisfies Extra,
);
