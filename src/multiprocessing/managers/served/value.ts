/**
 * The server side of a managed `Value` and `Array`. Python's manager `Value` holds any object with
 * a typecode as a label; its `Array` is an `array.array` of that typecode: here a typed array.
 */
import { describe } from "../../../internal/options.js";

export class ServedValue {
  readonly typecode: string;
  #value: unknown;

  constructor(typecode: unknown, value: unknown) {
    if (typeof typecode !== "string") throw new TypeError(`Value: typecode must be a string: got ${describe(typecode)}`);
    this.typecode = typecode;
    this.#value = value;
  }

  get(): unknown {
    return this.#value;
  }

  set(value: unknown): void {
    this.#value = value;
  }
}

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

const TYPECODES: Record<string, new (n: number) => Typed> = {
  b: Int8Array, B: Uint8Array, h: Int16Array, H: Uint16Array, i: Int32Array, I: Uint32Array,
  l: BigInt64Array, L: BigUint64Array, q: BigInt64Array, Q: BigUint64Array, f: Float32Array, d: Float64Array,
};

export class ServedArray {
  readonly typecode: string;
  readonly #data: Typed;

  constructor(typecode: unknown, init: unknown) {
    const Ctor = typeof typecode === "string" && Object.hasOwn(TYPECODES, typecode) ? TYPECODES[typecode] : undefined;
    if (Ctor === undefined) throw new TypeError(`Array: unknown typecode ${describe(typecode)}; use one of ${Object.keys(TYPECODES).join(" ")}`);
    this.typecode = typecode as string;
    if (typeof init === "number") {
      if (!Number.isInteger(init) || init < 0) throw new RangeError(`Array: size must be a non-negative integer: got ${init}`);
      this.#data = new Ctor(init);
    } else if (Array.isArray(init) || ArrayBuffer.isView(init)) {
      const items = Array.from(init as ArrayLike<unknown>);
      this.#data = new Ctor(items.length);
      items.forEach((item, i) => this.#store(i, item));
    } else throw new TypeError(`Array: expected a size or a sequence: got ${describe(init)}`);
  }

  #index(index: unknown): number {
    if (typeof index !== "number" || !Number.isInteger(index)) throw new TypeError(`Array: index must be an integer: got ${describe(index)}`);
    const at = index < 0 ? this.#data.length + index : index;
    if (at < 0 || at >= this.#data.length) throw new RangeError(`Array: index ${index} is out of range for an array of length ${this.#data.length}`);
    return at;
  }

  #store(at: number, value: unknown): void {
    const big = this.#data instanceof BigInt64Array || this.#data instanceof BigUint64Array;
    if (big ? typeof value !== "bigint" : typeof value !== "number") {
      throw new TypeError(`Array('${this.typecode}'): expected a ${big ? "bigint" : "number"}: got ${describe(value)}`);
    }
    (this.#data as unknown as unknown[])[at] = value;
  }

  get(index: unknown): number | bigint {
    return this.#data[this.#index(index)]!;
  }

  set(index: unknown, value: unknown): void {
    this.#store(this.#index(index), value);
  }

  len(): number {
    return this.#data.length;
  }

  toArray(): Array<number | bigint> {
    return Array.from(this.#data as ArrayLike<number | bigint>);
  }
}
