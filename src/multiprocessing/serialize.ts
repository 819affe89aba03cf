/**
 * Values on the wire between processes: shoal objects become markers (`internal/codec.ts`, boundary
 * `"process"`), then `v8.serialize` (structured clone). What cannot cross throws a TypeError naming
 * where it was, before any byte is written.
 */
import { serialize, deserialize } from "node:v8";
import { encodeForTransfer, decodeFromTransfer, decodeFromTransferAsync, needsDecoding } from "../internal/codec.js";
import { isShareableModule } from "./shareable-modules.js";
import { NOT_SCALAR, decodeScalar, encodeScalar } from "./scalar-codec.js";

const SHAREABLE = { canImport: isShareableModule };

/** The bytes of `value`; `where` names it in errors (`"Connection.send value"`). */
export function dumps(value: unknown, where: string): Buffer {
  const scalar = encodeScalar(value);
  if (scalar !== undefined) return scalar;
  const encoded = encodeForTransfer(value, "process", where);
  try {
    return serialize(encoded);
  } catch (error) {
    throw new TypeError(`${where}: cannot be serialized: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** The value of `bytes` (from `dumps`), with shoal objects inside rebuilt. */
export function loads(bytes: Uint8Array): unknown {
  const scalar = decodeScalar(bytes);
  if (scalar !== NOT_SCALAR) return scalar;
  const value: unknown = deserialize(bytes);
  return needsDecoding(value) ? decodeFromTransfer(value, "process") : value;
}

/**
 * Like `loads`, importing first the modules of shoal kinds this process has not loaded: only those
 * of the kinds that cross between processes (`shareable-modules.ts`), whatever module the bytes name.
 * The value itself when nothing needs loading; a promise otherwise (`loadsAsync` always gives one).
 */
export function loadsImporting(bytes: Uint8Array): unknown {
  const scalar = decodeScalar(bytes);
  if (scalar !== NOT_SCALAR) return scalar;
  const value: unknown = deserialize(bytes);
  return needsDecoding(value) ? decodeFromTransferAsync(value, "process", SHAREABLE) : value;
}

/** `loadsImporting`, always as a promise. */
export async function loadsAsync(bytes: Uint8Array): Promise<unknown> {
  return loadsImporting(bytes);
}
