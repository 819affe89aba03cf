/**
 * Queue items as bytes, for queues shared between threads.
 *
 * Numbers, strings, booleans, null and undefined (the common small items) take a one-byte tag and
 * their raw bytes; everything else is structured clone (`v8.serialize`), after the codec has turned
 * shoal's own objects into their shared state and refused what cannot cross, naming its type.
 */
import v8 from "node:v8";
import { decodeFromTransfer, encodeForTransfer, needsDecoding } from "../internal/codec.js";
import type { MovedInstances } from "../internal/codec.js";
import { describe } from "../internal/options.js";
import { idOfSharedBuffer, sharedBufferOf } from "./shared-buffers.js";

const UNDEFINED = 0;
const NULL = 1;
const TRUE = 2;
const FALSE = 3;
const INT32 = 4;
const FLOAT64 = 5;
const STRING = 6;
const CLONE = 7; // v8.serialize bytes follow
const CLONE_WITH_BUFFERS = 8; // u32 count, count float64 buffer ids, then v8.serialize bytes
const RAW_UINT8ARRAY = 9; // the bytes of a Uint8Array, as they are
const RAW_BUFFER = 10; // the bytes of a Node Buffer, as they are

const CONSTANTS = [UNDEFINED, NULL, TRUE, FALSE].map((tag) => Uint8Array.of(tag));

/** Marks a SharedArrayBuffer (or a view of one) inside a value that is being serialized. */
interface BufferMark {
  readonly __shoal_shared_buffer__: number;
  /** For a view: its constructor's name, byte offset and length (in elements; bytes for DataView). */
  readonly view?: string;
  readonly byteOffset?: number;
  readonly length?: number;
}

/**
 * The bytes of `item`.
 * @param where names the item in errors, e.g. `"Queue.put item"`.
 * @throws TypeError when the item (or something inside it) cannot cross to another thread.
 */
export function encodeItem(item: unknown, where: string, moved?: MovedInstances): Uint8Array {
  switch (typeof item) {
    case "number": {
      if ((item | 0) === item && !Object.is(item, -0)) {
        const bytes = Buffer.allocUnsafe(5);
        bytes[0] = INT32;
        bytes.writeInt32LE(item, 1);
        return bytes;
      }
      const bytes = Buffer.allocUnsafe(9);
      bytes[0] = FLOAT64;
      bytes.writeDoubleLE(item, 1);
      return bytes;
    }
    case "string": {
      const bytes = Buffer.allocUnsafe(1 + item.length * 2);
      bytes[0] = STRING;
      bytes.write(item, 1, "utf16le");
      return bytes;
    }
    case "boolean":
      return CONSTANTS[item ? TRUE : FALSE]!;
    case "undefined":
      return CONSTANTS[UNDEFINED]!;
    case "function":
    case "symbol":
      throw new TypeError(`${where}: cannot put ${describe(item)} into a queue shared with other threads: it cannot be copied to another thread`);
    default: {
      if (item === null) return CONSTANTS[NULL]!;
      const tag = rawBytesTag(item);
      if (tag >= 0) {
        const view = item as Uint8Array;
        const bytes = Buffer.allocUnsafe(1 + view.length);
        bytes[0] = tag;
        bytes.set(view, 1);
        return bytes;
      }
      return encodeClone(item, where, moved);
    }
  }
}

/**
 * The tag under which a Uint8Array or Buffer crosses as its raw bytes (one copy in, one copy out,
 * instead of structured clone's several), or -1 for anything else.
 */
export function rawBytesTag(item: unknown): number {
  if (!(item instanceof Uint8Array) || item.buffer instanceof SharedArrayBuffer) return -1;
  const proto = Object.getPrototypeOf(item) as object;
  return proto === Uint8Array.prototype ? RAW_UINT8ARRAY : proto === Buffer.prototype ? RAW_BUFFER : -1;
}

function rawCopy(tag: number, source: Uint8Array, start: number, end: number): Uint8Array {
  // Not zero-filled (this runs under the queue's lock): every byte is written at once.
  const copy = Buffer.allocUnsafeSlow(end - start);
  copy.set(source.subarray(start, end));
  return tag === RAW_BUFFER ? copy : new Uint8Array(copy.buffer, 0, copy.length);
}

function encodeClone(item: unknown, where: string, moved: MovedInstances | undefined): Uint8Array {
  const wire = encodeForTransfer(item, "thread", where, moved);
  if (hasSharedMemory(wire, new Set())) {
    // Bytes cannot hold shared memory (v8.serialize would copy it): send the buffers by id (see shared-buffers.ts).
    const found: SharedArrayBuffer[] = [];
    const body = serialize(markBuffers(wire, found, new Map()), item, where);
    const bytes = Buffer.allocUnsafe(1 + 4 + found.length * 8 + body.length);
    bytes[0] = CLONE_WITH_BUFFERS;
    bytes.writeUInt32LE(found.length, 1);
    found.forEach((buffer, i) => bytes.writeDoubleLE(idOfSharedBuffer(buffer), 5 + i * 8));
    bytes.set(body, 5 + found.length * 8);
    return bytes;
  }
  const body = serialize(wire, item, where);
  const bytes = Buffer.allocUnsafe(1 + body.length);
  bytes[0] = CLONE;
  bytes.set(body, 1);
  return bytes;
}

/** Longest string written straight into shared memory (longer ones go through a buffer of their own). */
const INLINE_STRING = 4096;

/**
 * Bytes that `writeInline` needs for `item`, or -1 when it is not a small primitive (then use
 * `encodeItem`). Small primitives go straight into shared memory, with no buffer in between.
 */
export function inlineLength(item: unknown): number {
  switch (typeof item) {
    case "number":
      return (item | 0) === item && !Object.is(item, -0) ? 5 : 9;
    case "string":
      return item.length <= INLINE_STRING ? 1 + item.length * 2 : -1;
    case "boolean":
    case "undefined":
      return 1;
    case "object":
      return item === null ? 1 : -1;
    default:
      return -1;
  }
}

/** Writes a small primitive (see `inlineLength`) at `offset`. */
export function writeInline(item: unknown, target: Buffer, offset: number): void {
  switch (typeof item) {
    case "number":
      if ((item | 0) === item && !Object.is(item, -0)) {
        target[offset] = INT32;
        target.writeInt32LE(item, offset + 1);
      } else {
        target[offset] = FLOAT64;
        target.writeDoubleLE(item, offset + 1);
      }
      return;
    case "string":
      target[offset] = STRING;
      target.write(item, offset + 1, "utf16le");
      return;
    case "boolean":
      target[offset] = item ? TRUE : FALSE;
      return;
    default:
      target[offset] = item === null ? NULL : UNDEFINED;
  }
}

/** Returned by `readInline` for bytes that are not a small primitive. */
export const NOT_INLINE: unique symbol = Symbol("not inline");

/** The small primitive (or raw bytes, copied) whose `length` bytes start at `offset`, or NOT_INLINE. */
export function readInline(source: Buffer, offset: number, length: number): unknown {
  switch (source[offset]) {
    case INT32:
      return source.readInt32LE(offset + 1);
    case FLOAT64:
      return source.readDoubleLE(offset + 1);
    case STRING:
      return source.toString("utf16le", offset + 1, offset + length);
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case TRUE:
      return true;
    case FALSE:
      return false;
    case RAW_UINT8ARRAY:
    case RAW_BUFFER:
      return rawCopy(source[offset]!, source, offset + 1, offset + length);
    default:
      return NOT_INLINE;
  }
}

/** The item whose bytes `encodeItem` made (a copy of it, or the same primitive value). */
export function decodeItem(bytes: Uint8Array): unknown {
  const view = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inline = readInline(view, 0, view.length);
  if (inline !== NOT_INLINE) return inline;
  switch (view[0]) {
    case CLONE:
      return received(v8.deserialize(view.subarray(1)));
    case CLONE_WITH_BUFFERS: {
      const count = view.readUInt32LE(1);
      const found: SharedArrayBuffer[] = [];
      for (let i = 0; i < count; i++) found.push(sharedBufferOf(view.readDoubleLE(5 + i * 8)));
      return received(unmarkBuffers(v8.deserialize(view.subarray(5 + count * 8)), found, new Set()));
    }
    default:
      throw new Error(`Cannot decode a queue item: unknown tag ${String(view[0])}`);
  }
}

function serialize(value: unknown, item: unknown, where: string): Buffer {
  try {
    return v8.serialize(value);
  } catch (error) {
    throw new TypeError(`${where}: cannot put ${describe(item)} into a queue shared with other threads: ${(error as Error).message}`);
  }
}

function received(value: unknown): unknown {
  return needsDecoding(value) ? decodeFromTransfer(value, "thread") : value;
}

/** The bytes of a priority: the parts of an item PriorityQueue compares (numbers, bigints, strings, arrays). */
export function encodePriority(item: unknown): Uint8Array {
  return v8.serialize(projectPriority(item));
}

function projectPriority(value: unknown): unknown {
  const type = typeof value;
  if (type === "number" || type === "bigint" || type === "string") return value;
  if (Array.isArray(value)) return value.map(projectPriority);
  return null; // not comparable: ties, so insertion order decides
}

// --- SharedArrayBuffers inside items --------------------------------------------------------------

function hasSharedMemory(value: unknown, seen: Set<object>): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (value instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(value)) return value.buffer instanceof SharedArrayBuffer;
  if (seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) if (hasSharedMemory(k, seen) || hasSharedMemory(v, seen)) return true;
    return false;
  }
  if (value instanceof Set) {
    for (const v of value) if (hasSharedMemory(v, seen)) return true;
    return false;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
  for (const key in value) if (hasSharedMemory((value as Record<string, unknown>)[key], seen)) return true;
  return false;
}

function indexOfBuffer(buffer: SharedArrayBuffer, found: SharedArrayBuffer[]): number {
  const index = found.indexOf(buffer);
  return index < 0 ? found.push(buffer) - 1 : index;
}

function markBuffers(value: unknown, found: SharedArrayBuffer[], copies: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof SharedArrayBuffer) return { __shoal_shared_buffer__: indexOfBuffer(value, found) } satisfies BufferMark;
  if (ArrayBuffer.isView(value)) {
    if (!(value.buffer instanceof SharedArrayBuffer)) return value;
    const length = value instanceof DataView ? value.byteLength : (value as unknown as { length: number }).length;
    const mark: BufferMark = { __shoal_shared_buffer__: indexOfBuffer(value.buffer, found), view: value.constructor.name, byteOffset: value.byteOffset, length };
    return mark;
  }
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (const v of value) out.push(markBuffers(v, found, copies));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    copies.set(value, out);
    for (const [k, v] of value) out.set(markBuffers(k, found, copies), markBuffers(v, found, copies));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    copies.set(value, out);
    for (const v of value) out.add(markBuffers(v, found, copies));
    return out;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  copies.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = markBuffers(v, found, copies);
  return out;
}

function isBufferMark(value: object): value is BufferMark {
  return typeof (value as Record<string, unknown>).__shoal_shared_buffer__ === "number";
}

type ViewConstructor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

function unmark(mark: BufferMark, found: SharedArrayBuffer[]): unknown {
  const buffer = found[mark.__shoal_shared_buffer__]!;
  if (mark.view === undefined) return buffer;
  const View = (globalThis as unknown as Record<string, ViewConstructor | undefined>)[mark.view] ?? (mark.view === "Buffer" ? (Buffer as unknown as ViewConstructor) : undefined);
  if (View === undefined) throw new Error(`Cannot decode a queue item: unknown view type ${mark.view}`);
  if (mark.view === "Buffer") return Buffer.from(buffer, mark.byteOffset, mark.length);
  return new View(buffer, mark.byteOffset ?? 0, mark.length ?? 0);
}

function unmarkBuffers(value: unknown, found: SharedArrayBuffer[], seen: Set<object>): unknown {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  if (isBufferMark(value)) return unmark(value, found);
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unmarkBuffers(value[i], found, seen);
  } else if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [unmarkBuffers(k, found, seen), unmarkBuffers(v, found, seen)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
  } else if (value instanceof Set) {
    const items = [...value].map((v) => unmarkBuffers(v, found, seen));
    value.clear();
    for (const v of items) value.add(v);
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = unmarkBuffers(record[key], found, seen);
  }
  return value;
}
