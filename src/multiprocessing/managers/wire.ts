/**
 * The bytes of a manager message. Most requests and replies hold only numbers, strings, booleans
 * and null (`[7, "call", 3, "get", ["k"], 0]`, `[7, 0, 42]`): those go as JSON, which is several
 * times cheaper to make and read than `v8.serialize`. Anything else (undefined, bigint, -0, NaN,
 * Maps, typed arrays, nested objects, shoal markers) goes through `v8.serialize`. The first byte
 * tells them apart: a JSON message starts with `[`, a v8 one with its version tag (0xff).
 */
import { deserialize, serialize } from "node:v8";

const BRACKET = 0x5b; // "["

function isPlainScalar(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object":
      return value === null;
    default:
      return false;
  }
}

/** Whether JSON carries `message` exactly: an array of scalars and arrays of scalars. */
function jsonExact(message: readonly unknown[]): boolean {
  for (let i = 0; i < message.length; i++) {
    const item = message[i];
    if (isPlainScalar(item)) continue;
    if (!Array.isArray(item)) return false;
    for (let j = 0; j < item.length; j++) if (!isPlainScalar(item[j])) return false;
  }
  return true;
}

/** The bytes of a message (an array). */
export function encodeMessage(message: readonly unknown[]): Buffer {
  return jsonExact(message) ? Buffer.from(JSON.stringify(message)) : serialize(message);
}

/** The message in `bytes`; throws on bytes that are neither. */
export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes[0] === BRACKET) return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  return deserialize(bytes);
}
