/** Python's `array`/`ctypes` type codes and the typed arrays that hold them. */
import { describe } from "../internal/options.js";

export type TypeCode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d" | "c";

type TypedArrayClass =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

export const TYPED_ARRAYS: Record<TypeCode, TypedArrayClass> = {
  b: Int8Array,
  B: Uint8Array,
  c: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
};

/** The element type of a type code: bigint for the 64-bit integers, number otherwise. */
export type ElementOf<C extends TypeCode> = C extends "l" | "L" | "q" | "Q" ? bigint : number;

export function checkTypeCode(code: unknown, where: string): TypeCode {
  if (typeof code === "string" && Object.hasOwn(TYPED_ARRAYS, code)) return code as TypeCode;
  throw new TypeError(`${where}: unknown type code ${JSON.stringify(code)}; use one of ${Object.keys(TYPED_ARRAYS).join(" ")}`);
}

/** Whether a type code holds bigints (the 64-bit integers). */
export function isBig(code: TypeCode): boolean {
  return TYPED_ARRAYS[code] === BigInt64Array || TYPED_ARRAYS[code] === BigUint64Array;
}

/** `value` as an element of `code`; a TypeError naming `where` for a value of the wrong type. */
export function checkElement(code: TypeCode, value: unknown, where: string): number | bigint {
  const big = isBig(code);
  if (typeof value !== (big ? "bigint" : "number")) throw new TypeError(`${where}: a "${code}" holds a ${big ? "bigint" : "number"}: got ${describe(value)}`);
  // The typed array would drop the fraction without a word; Python's ctypes refuse a float there.
  if (!big && code !== "f" && code !== "d" && !Number.isInteger(value)) throw new TypeError(`${where}: a "${code}" holds an integer: got ${describe(value)}`);
  return value as number | bigint;
}
