/**
 * The pool's own protocol between the pool and its workers (threads and processes alike).
 *
 * Pool → worker: each record is one `v8.serialize`d array. Tasks travel in batches, flattened
 * (`[TASKS, id, fn, mode, payload, id, fn, mode, payload, …]`): one serialization per batch, not
 * per task. A zero-length record means "the next record came by postMessage" (too big for the ring).
 *
 * Worker → pool: one record per task, written before the next task starts (so a worker that dies
 * loses nothing it finished). A 16-byte header (kind, task id, run time) and a payload whose
 * encoding the kind names: numbers and strings skip `v8.serialize`, which costs microseconds.
 */
import { deserialize } from "node:v8";
import { decodeFromTransfer, decodeFromTransferAsync, encodeForTransfer, needsDecoding, type Boundary } from "../../internal/codec.js";
import type { TaskRef } from "../../internal/task.js";
import { MaybeEncodingError } from "./errors.js";
import { encodeError, rebuildError } from "./remote-error.js";
import { serializeFor } from "./serialize-for.js";

// Pool → worker messages (first element of the array).
export const INIT = 0;
export const DEFINE = 1;
export const TASKS = 2;
export const STOP = 3;

/** How a task's payload is applied: `fn(...args)`, `chunk.map(fn)`, or `chunk.map(args => fn(...args))`. */
export const CALL = 0;
export const MAP = 1;
export const STARMAP = 2;
export type Mode = typeof CALL | typeof MAP | typeof STARMAP;

export type InitMessage = [typeof INIT, name: string, initializer: TaskRef | null, initargs: unknown];
export type DefineMessage = [typeof DEFINE, index: number, ref: TaskRef];
export type StopMessage = [typeof STOP];

// Worker → pool record kinds (byte 0 of the header).
export const READY = 1;
export const INIT_ERROR = 2;
export const OK_UNDEFINED = 3;
export const OK_NUMBER = 4;
export const OK_STRING = 5;
export const OK_VALUE = 6;
export const FAILED = 7;
/** An array of numbers, as float64s: deserializing boxed numbers one by one costs far more. */
export const OK_NUMBERS = 9;
/** Thread workers only: the record came by postMessage (too big for the ring, or shared memory). */
export const OVERSIZE = 8;
/** Thread workers only: the value came by postMessage, which shares its SharedArrayBuffers. */
export const OK_CLONED = 10;

export const HEADER_BYTES = 16;

/**
 * First byte of a batch of tasks whose arguments are all numbers, sent as float64s: the common
 * trivial task skips `v8.serialize` on both sides. (A `v8.serialize`d record starts with 0xFF.)
 */
const NUMERIC_TASKS = 1;

/** A message for a worker: bytes, or (holding shared memory, for a thread) the message itself. */
export type Outgoing = Uint8Array | unknown[];

/** A message to a worker. */
export function encodeMessage(message: unknown[], boundary: Boundary): Outgoing {
  return serializeFor(message, boundary) ?? message;
}

/** The task fields the batch encoder needs. */
export interface BatchTask {
  readonly id: number;
  readonly fn: number;
  readonly mode: number;
  readonly payload: unknown;
}

/** A batch of tasks as one record (numbers-only batches as float64s, others `v8.serialize`d). */
export function encodeTasks(tasks: readonly BatchTask[], boundary: Boundary): Outgoing {
  let slots = 0;
  for (const task of tasks) {
    const payload = task.payload;
    if (!Array.isArray(payload)) return serializeTasks(tasks, boundary);
    for (let i = 0; i < payload.length; i++) if (typeof payload[i] !== "number") return serializeTasks(tasks, boundary);
    slots += 4 + payload.length;
  }
  const buffer = new ArrayBuffer(8 + slots * 8);
  new Uint8Array(buffer)[0] = NUMERIC_TASKS;
  const numbers = new Float64Array(buffer, 8);
  let at = 0;
  for (const task of tasks) {
    const payload = task.payload as number[];
    numbers[at] = task.id;
    numbers[at + 1] = task.fn;
    numbers[at + 2] = task.mode;
    numbers[at + 3] = payload.length;
    at += 4;
    for (let i = 0; i < payload.length; i++) numbers[at + i] = payload[i]!;
    at += payload.length;
  }
  return new Uint8Array(buffer);
}

function serializeTasks(tasks: readonly BatchTask[], boundary: Boundary): Outgoing {
  const message: unknown[] = [TASKS];
  for (const task of tasks) message.push(task.id, task.fn, task.mode, task.payload);
  return encodeMessage(message, boundary);
}

export function decodeMessage(bytes: Uint8Array): unknown[] {
  if (bytes[0] !== NUMERIC_TASKS) return deserialize(bytes) as unknown[];
  // The record may sit at any 4-byte offset (and in shared memory): copy it to read float64s.
  const numbers = new Float64Array(Uint8Array.prototype.slice.call(bytes, 8).buffer);
  const message: unknown[] = [TASKS];
  let at = 0;
  while (at < numbers.length) {
    const length = numbers[at + 3]!;
    const args = new Array<number>(length);
    for (let i = 0; i < length; i++) args[i] = numbers[at + 4 + i]!;
    message.push(numbers[at], numbers[at + 1], numbers[at + 2], args);
    at += 4 + length;
  }
  return message;
}

/** Arguments or a chunk, ready to cross: throws a TypeError naming what cannot cross. */
export function encodePayload(payload: readonly unknown[], boundary: Boundary, where: string): unknown {
  for (let i = 0; i < payload.length; i++) {
    const item = payload[i];
    if (typeof item === "object" ? item !== null : typeof item === "function" || typeof item === "symbol") {
      return encodeForTransfer(payload, boundary, where);
    }
  }
  return payload;
}

/**
 * Arguments or a chunk as the worker receives them: plain data as is (no promise), shoal objects
 * inside rebuilt after importing their modules (a promise).
 */
export function decodePayload(payload: unknown, boundary: Boundary): unknown[] | Promise<unknown[]> {
  return needsDecoding(payload) ? (decodeFromTransferAsync(payload, boundary) as Promise<unknown[]>) : (payload as unknown[]);
}

/** The kind and payload bytes of a task's value, on the worker's side. */
export interface EncodedResult {
  kind: number;
  payload: Uint8Array | undefined;
  /** The value itself (kind OK_CLONED): it holds shared memory and goes by postMessage. */
  cloned?: unknown;
}

const numberBox = new Float64Array(1);
const numberBytes = new Uint8Array(numberBox.buffer);

/**
 * Encodes a task's outcome. The returned payload may be a shared scratch buffer: use it before
 * the next call. A value that cannot be sent becomes a `MaybeEncodingError` failure.
 */
export function encodeOutcome(ok: boolean, value: unknown, boundary: Boundary, out: EncodedResult): void {
  if (!ok) {
    out.kind = FAILED;
    out.payload = encodeError(value);
    return;
  }
  switch (typeof value) {
    case "undefined":
      out.kind = OK_UNDEFINED;
      out.payload = undefined;
      return;
    case "number":
      numberBox[0] = value;
      out.kind = OK_NUMBER;
      out.payload = numberBytes;
      return;
    case "string":
      out.kind = OK_STRING;
      out.payload = Buffer.from(value, "utf8");
      return;
  }
  if (Array.isArray(value) && value.length >= 16 && allNumbers(value)) {
    out.kind = OK_NUMBERS;
    out.payload = new Uint8Array(Float64Array.from(value).buffer);
    return;
  }
  try {
    const encoded = encodeForTransfer(value, boundary, "Task result");
    const bytes = serializeFor(encoded, boundary);
    if (bytes === undefined) {
      out.kind = OK_CLONED;
      out.payload = undefined;
      out.cloned = encoded;
    } else {
      out.kind = OK_VALUE;
      out.payload = bytes;
    }
  } catch (error) {
    const reason = (error as Error)?.message ?? String(error);
    out.kind = FAILED;
    out.payload = encodeError(new MaybeEncodingError(`Cannot send result of task: ${reason}`));
  }
}

function allNumbers(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "number") return false;
  return true;
}

const readBox = new Float64Array(1);
const readBytes = new Uint8Array(readBox.buffer);

/** The float64 at `at` in `bytes`, at any alignment (and in shared memory) without allocating. */
export function readFloat64(bytes: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) readBytes[i] = bytes[at + i]!;
  return readBox[0]!;
}

/**
 * The value of a result record (header included), on the pool's side; for FAILED, the rebuilt
 * error. `cloned` is the value of an OK_CLONED record.
 */
export function decodeValue(kind: number, record: Uint8Array, boundary: Boundary, cloned: unknown): unknown {
  switch (kind) {
    case OK_NUMBER:
      return readFloat64(record, HEADER_BYTES);
    case OK_UNDEFINED:
      return undefined;
    case OK_CLONED:
      return needsDecoding(cloned) ? decodeFromTransfer(cloned, boundary) : cloned;
    case OK_STRING:
      return Buffer.from(record.buffer, record.byteOffset + HEADER_BYTES, record.byteLength - HEADER_BYTES).toString("utf8");
    case OK_NUMBERS: {
      const payload = record.subarray(HEADER_BYTES);
      const aligned = payload.byteOffset % 8 === 0 && !(payload.buffer instanceof SharedArrayBuffer);
      const numbers = aligned
        ? new Float64Array(payload.buffer, payload.byteOffset, payload.byteLength / 8)
        : new Float64Array(Uint8Array.prototype.slice.call(payload).buffer);
      const values = new Array<number>(numbers.length);
      for (let i = 0; i < numbers.length; i++) values[i] = numbers[i]!;
      return values;
    }
    case OK_VALUE: {
      const value: unknown = deserialize(record.subarray(HEADER_BYTES));
      return needsDecoding(value) ? decodeFromTransfer(value, boundary) : value;
    }
    default:
      return rebuildError(record.subarray(HEADER_BYTES));
  }
}
