/**
 * The structured-clone bytes of single scalars (integers, doubles, booleans, null, undefined,
 * short Latin-1 strings), made and read by hand.
 *
 * Why: `v8.serialize(42)` and `v8.deserialize` build a serializer object per call, which costs a
 * few microseconds: most of what a queue item of one small number costs to cross between processes.
 * The bytes written here are exactly what `v8.serialize` writes for these values (the header, then
 * one tag), so `v8.deserialize` reads them and `decodeScalar` reads `v8.serialize`'s.
 */
import { serialize } from "node:v8";

/** The wire format version this V8 writes (byte 1 of every serialized value). */
const VERSION = serialize(null)[1]!;

const TAG_INT32 = 0x49; // 'I': zigzag varint
const TAG_DOUBLE = 0x4e; // 'N': float64, little-endian
const TAG_ONE_BYTE_STRING = 0x22; // '"': varint length, Latin-1 bytes
const TAG_TRUE = 0x54;
const TAG_FALSE = 0x46;
const TAG_NULL = 0x30;
const TAG_UNDEFINED = 0x5f;

/** Strings up to this many characters take the fast path (longer ones gain nothing from it). */
const MAX_STRING = 64;

/** V8 writes integers as Smis in this range (31-bit, as with pointer compression). */
const SMI_MIN = -(2 ** 30);
const SMI_MAX = 2 ** 30 - 1;

function withTag(tag: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(3 + size);
  bytes[0] = 0xff;
  bytes[1] = VERSION;
  bytes[2] = tag;
  return bytes;
}

/** The serialized bytes of `value` when it is such a scalar, else undefined (serialize it the usual way). */
export function encodeScalar(value: unknown): Buffer | undefined {
  switch (typeof value) {
    case "number": {
      if (Number.isInteger(value) && value >= SMI_MIN && value <= SMI_MAX && !Object.is(value, -0)) {
        let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
        const bytes = withTag(TAG_INT32, zigzag < 0x80 ? 1 : zigzag < 0x4000 ? 2 : zigzag < 0x200000 ? 3 : zigzag < 0x10000000 ? 4 : 5);
        let at = 3;
        while (zigzag >= 0x80) {
          bytes[at++] = (zigzag % 0x80) | 0x80;
          zigzag = Math.floor(zigzag / 0x80);
        }
        bytes[at] = zigzag;
        return bytes;
      }
      const bytes = withTag(TAG_DOUBLE, 8);
      bytes.writeDoubleLE(value, 3);
      return bytes;
    }
    case "boolean":
      return withTag(value ? TAG_TRUE : TAG_FALSE, 0);
    case "undefined":
      return withTag(TAG_UNDEFINED, 0);
    case "string": {
      if (value.length > MAX_STRING) return undefined;
      for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return undefined;
      const bytes = withTag(TAG_ONE_BYTE_STRING, 1 + value.length); // MAX_STRING < 0x80: a 1-byte length
      bytes[3] = value.length;
      bytes.write(value, 4, "latin1");
      return bytes;
    }
    case "object":
      return value === null ? withTag(TAG_NULL, 0) : undefined;
    default:
      return undefined;
  }
}

/** Returned by `decodeScalar` for bytes that are not one of these scalars. */
export const NOT_SCALAR: unique symbol = Symbol("not a scalar");

/** The scalar in `bytes`, or `NOT_SCALAR` (deserialize them the usual way). */
export function decodeScalar(bytes: Uint8Array): unknown {
  const length = bytes.length;
  if (length < 3 || length > 3 + 1 + MAX_STRING || bytes[0] !== 0xff) return NOT_SCALAR;
  switch (bytes[2]) {
    case TAG_INT32: {
      let zigzag = 0;
      let scale = 1;
      let at = 3;
      for (; at < length; at++) {
        const byte = bytes[at]!;
        zigzag += (byte & 0x7f) * scale;
        scale *= 0x80;
        if (byte < 0x80) break;
      }
      if (at !== length - 1) return NOT_SCALAR;
      return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    }
    case TAG_DOUBLE:
      return length === 11 ? Buffer.from(bytes.buffer, bytes.byteOffset, length).readDoubleLE(3) : NOT_SCALAR;
    case TAG_ONE_BYTE_STRING:
      return length >= 4 && bytes[3]! < 0x80 && length === 4 + bytes[3]! ? Buffer.from(bytes.buffer, bytes.byteOffset + 4, length - 4).toString("latin1") : NOT_SCALAR;
    case TAG_TRUE:
      return length === 3 ? true : NOT_SCALAR;
    case TAG_FALSE:
      return length === 3 ? false : NOT_SCALAR;
    case TAG_NULL:
      return length === 3 ? null : NOT_SCALAR;
    case TAG_UNDEFINED:
      return length === 3 ? undefined : NOT_SCALAR;
    default:
      return NOT_SCALAR;
  }
}
