/**
 * The manager wire protocol: a tiny RPC over an authenticated `Connection` (after CPython's
 * `managers.py`: `dispatch()` requests, replies tagged `#RETURN | #ERROR | #PROXY`).
 *
 * Every message is one frame holding `v8.serialize` of an array (arrays are cheaper to serialize
 * than objects). Requests carry a call id chosen by the client; the reply to a request carries the
 * same id, so one connection carries many calls at once (a waiting `Queue.get` does not hold up a
 * `dict.set` behind it).
 *
 *   request  [callId, "create", typeid, args]
 *            [callId, "call", objectId, method, args, threadIdent]
 *            [callId, "post", objectId, method, args, threadIdent]   (no reply unless it fails:
 *                                                  then [callId, ERROR, error, objectId])
 *            [callId, "value", objectId]            (a copy of the object: `getValue()`)
 *            [callId, "cancel"]                     (abandon the pending call `callId`; no reply of its own)
 *            [callId, "hello"]                      (answers the registered typeids)
 *            [callId, "shutdown"]
 *   reply    [callId, RETURN, value] | [callId, ERROR, SerializedError] | [callId, PROXY, TokenData]
 *            | [callId, CANCELLED, undefined]
 *
 * `args` and `value` are encoded with `internal/codec.ts` (proxies inside arrive as proxies).
 */
import type { Address } from "../listener.js";

export const RETURN = 0;
export const ERROR = 1;
export const PROXY = 2;
export const CANCELLED = 3;

export type ReplyKind = typeof RETURN | typeof ERROR | typeof PROXY | typeof CANCELLED;

/** What names a shared object: its type, its server, its id there (Python's `Token`). */
export interface Token {
  readonly typeid: string;
  readonly address: Address;
  readonly id: number;
}

/** A token as a reply carries it, with what the client needs to build the proxy. */
export interface TokenData {
  readonly typeid: string;
  readonly id: number;
  /** The methods a client may call (for AutoProxy); undefined for the built-in proxies. */
  readonly exposed: readonly string[] | undefined;
  /** The proxy class to build (a name in the proxy table). */
  readonly proxy: string;
  /** The serving server's random name (a server recognizes its own proxies by it). */
  readonly server: string;
  /** Facts about the referent that let its proxy skip a round trip (e.g. `{ unbounded: true }`). */
  readonly hints?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** An error as it crosses: its class name, message and remote stack, and its own data fields. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  readonly fields: Record<string, unknown> | undefined;
}

export type Request =
  | readonly [callId: number, op: "create", typeid: string, args: unknown]
  | readonly [callId: number, op: "call", objectId: number, method: string, args: unknown, thread: number]
  | readonly [callId: number, op: "post", objectId: number, method: string, args: unknown, thread: number]
  | readonly [callId: number, op: "value", objectId: number]
  | readonly [callId: number, op: "cancel"]
  | readonly [callId: number, op: "hello"]
  | readonly [callId: number, op: "shutdown"];

export type Reply = readonly [callId: number, kind: ReplyKind, value: unknown];

/** Largest message a manager accepts by default: 64 MiB. */
export const DEFAULT_MANAGER_MAX_MESSAGE = 64 * 1024 * 1024;

/** A canonical string for an address (map key). */
export function addressKey(address: Address): string {
  return typeof address === "string" ? `unix:${address}` : `tcp:${address[0]}:${address[1]}`;
}
