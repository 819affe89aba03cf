/**
 * The messages between an `ObjectServer` and its clients, and how errors cross them.
 *
 * An error is sent as `{ name, message, stack, code? }`. The receiving side rebuilds it as the same
 * class when that class was registered with `registerRemoteError` (shoal's `Empty`, `Full`,
 * `ThreadError`, `BrokenBarrierError`... and the built-in `TypeError`, `RangeError`...), so
 * `instanceof` works across processes; otherwise as a `RemoteError`. The remote stack is kept in
 * `cause` (a `RemoteError` whose message is the stack text), as Python's `RemoteTraceback`.
 */
import type { Address } from "./listener.js";
import { ProcessError, TimeoutError, AuthenticationError, BufferTooShort, EOFError, RemoteError } from "./errors.js";
import { Empty, Full, ShutDown } from "../queue/errors.js";
import { ThreadError, BrokenBarrierError } from "../threading/errors.js";

/** How other processes find a served object: its type, its server's address, its id there. */
export interface Token {
  readonly typeid: string;
  readonly address: Address;
  readonly id: string;
}

/** A call. `target` "" addresses the server itself (`#cancel` with the call id). */
export interface Request {
  readonly id: number;
  readonly target: string;
  readonly method: string;
  readonly args: unknown[];
}

/** An error on the wire. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  readonly code?: string | undefined;
}

/** A reply, tagged as `managers.py` tags them. */
export type Reply =
  | { readonly id: number; readonly kind: "return"; readonly value: unknown }
  | { readonly id: number; readonly kind: "error"; readonly error: WireError }
  | { readonly id: number; readonly kind: "proxy"; readonly token: Token };

type ErrorClass = new (message: string) => Error;

const classes = new Map<string, ErrorClass>([
  ["Error", Error],
  ["TypeError", TypeError],
  ["RangeError", RangeError],
  ["ReferenceError", ReferenceError],
  ["SyntaxError", SyntaxError],
]);

for (const cls of [Empty, Full, ShutDown, ThreadError, BrokenBarrierError, ProcessError, TimeoutError, AuthenticationError, BufferTooShort, EOFError]) {
  classes.set(cls.name, cls as unknown as ErrorClass);
}

/** Lets errors named `name` be rebuilt as `cls` on the receiving side. */
export function registerRemoteError(name: string, cls: ErrorClass): void {
  classes.set(name, cls);
}

/** An error as it crosses. */
export function errorToWire(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack ?? `${error.name}: ${error.message}`, code: typeof code === "string" ? code : undefined };
  }
  return { name: "Error", message: String(error), stack: String(error) };
}

/** An error rebuilt from the wire. */
export function errorFromWire(wire: WireError): Error {
  const cls = classes.get(wire.name);
  const cause = new RemoteError(wire.stack, wire.stack);
  let error: Error;
  if (cls !== undefined) {
    error = new cls(wire.message);
    (error as { cause?: unknown }).cause = cause;
  } else if (wire.name === "AbortError") {
    error = new DOMException(wire.message, "AbortError");
  } else {
    error = new RemoteError(`${wire.name}: ${wire.message}`, wire.stack);
  }
  if (wire.code !== undefined) (error as { code?: string }).code = wire.code;
  return error;
}
