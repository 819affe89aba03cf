/**
 * `v8.serialize` that knows where the value goes. A process gets bytes. A thread must get shared
 * memory as shared memory: bytes would copy a SharedArrayBuffer (or a typed array over one), so such
 * a value is left to `postMessage`, whose structured clone shares it.
 */
import { DefaultSerializer, serialize } from "node:v8";
import type { Boundary } from "../../internal/codec.js";

/** Thrown by `ThreadSerializer` when a value holds shared memory. */
const SHARED_MEMORY = new Error("shared memory");

/**
 * `v8.serialize` for values going to another thread, refusing shared memory: bytes would copy a
 * SharedArrayBuffer (or a typed array over one), and the other thread must get the same memory.
 */
class ThreadSerializer extends DefaultSerializer {
  // Hooks of node:v8's Serializer that @types/node does not declare.
  _getSharedArrayBufferId(): never {
    throw SHARED_MEMORY;
  }

  _writeHostObject(object: object): void {
    if (ArrayBuffer.isView(object) && object.buffer instanceof SharedArrayBuffer) throw SHARED_MEMORY;
    writeHostObject.call(this, object);
  }
}

const writeHostObject = (DefaultSerializer.prototype as unknown as { _writeHostObject(this: DefaultSerializer, object: object): void })._writeHostObject;

/**
 * `value` as bytes; or, for a thread, undefined when it holds shared memory (it must then travel by
 * `postMessage`, whose structured clone shares it).
 */
export function serializeFor(value: unknown, boundary: Boundary): Uint8Array | undefined {
  if (boundary === "process") return serialize(value);
  const serializer = new ThreadSerializer();
  serializer.writeHeader();
  try {
    serializer.writeValue(value);
  } catch (error) {
    if (error === SHARED_MEMORY) return undefined;
    throw error;
  }
  return serializer.releaseBuffer();
}
