/**
 * A task's error on its way back: structured clone keeps neither a custom error's name nor fields
 * such as `code`, so the worker sends them as data and the pool rebuilds the error, with the
 * worker's stack as `cause` (Python's `rebuild_exc`).
 */
import { serialize, deserialize } from "node:v8";
import { MaybeEncodingError, RemoteTraceback } from "./errors.js";

interface ErrorData {
  name: string;
  message: string;
  stack: string;
  props: Record<string, unknown>;
}

/** The parts of an error that can cross (structured clone keeps neither custom names nor `code`). */
export function encodeError(error: unknown): Buffer {
  let data: ErrorData;
  if (error instanceof Error) {
    const props: Record<string, unknown> = {};
    for (const key of Object.keys(error)) {
      let v: unknown;
      try {
        v = (error as unknown as Record<string, unknown>)[key];
      } catch {
        continue; // a getter that throws: reading it here killed the worker (WorkerLostError)
      }
      if (crosses(v)) props[key] = v;
    }
    // Not enumerable, but what an AggregateError is for.
    if (error instanceof AggregateError && crosses(error.errors)) props.errors = error.errors;
    data = { name: error.name, message: error.message, stack: error.stack ?? `${error.name}: ${error.message}`, props };
  } else {
    let text: string;
    try {
      text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
    data = { name: "Error", message: `Task threw a non-error value: ${text}`, stack: `thrown value: ${text}`, props: {} };
  }
  try {
    return serialize(data);
  } catch {
    return serialize({ ...data, props: {} });
  }
}

/** Built-in kinds that structured clone keeps as they are; a class instance would lose its class. */
const CLONED_KINDS: unknown[] = [Object.prototype, null, Array.prototype, Date.prototype, Map.prototype, Set.prototype, RegExp.prototype];

/**
 * Whether a field of an error arrives as it is, as Python's pickled exception keeps its attributes
 * (`e.response`, `e.details`): data that structured clone copies; not a function, nor an instance
 * of a class, which would arrive as a plain object.
 */
function crosses(value: unknown): boolean {
  if (value === null || typeof value !== "object") return typeof value !== "function" && typeof value !== "symbol";
  const proto: unknown = Object.getPrototypeOf(value);
  if (!CLONED_KINDS.includes(proto) && !(value instanceof Error) && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) return false;
  try {
    serialize(value);
    return true;
  } catch {
    return false;
  }
}

const BUILTIN_ERRORS: Record<string, new (message: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  MaybeEncodingError,
};

/**
 * The error a result rejects with: of the remote error's class when it is a built-in one (else an
 * Error carrying its name), with its message and fields, and `cause` = the remote stack
 * (Python's `rebuild_exc`).
 */
export function rebuildError(payload: Uint8Array): Error {
  let data: ErrorData;
  try {
    data = deserialize(payload) as ErrorData;
  } catch (error) {
    return new Error(`Cannot read a task's error: ${(error as Error).message}`);
  }
  const Ctor = BUILTIN_ERRORS[data.name] ?? Error;
  const error = data.name === "AggregateError" ? new AggregateError([], data.message) : new Ctor(data.message);
  if (error.name !== data.name) {
    Object.defineProperty(error, "name", { value: data.name, configurable: true, writable: true, enumerable: false });
  }
  for (const key of Object.keys(data.props)) {
    if (key === "errors" && error instanceof AggregateError) Object.defineProperty(error, "errors", { value: data.props[key], configurable: true, writable: true, enumerable: false });
    else if (key !== "name" && key !== "message" && key !== "stack" && key !== "cause") (error as unknown as Record<string, unknown>)[key] = data.props[key];
  }
  error.cause = new RemoteTraceback(data.stack);
  return error;
}
