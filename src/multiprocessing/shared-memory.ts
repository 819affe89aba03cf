/**
 * `SharedMemory` (Python's `multiprocessing.shared_memory.SharedMemory`): a named block of bytes
 * that every thread of this process can attach to by name, as processes attach to /dev/shm.
 *
 *   const shm = new SharedMemory({ create: true, size: 1024 });   // name "psm_…", or { name }
 *   shm.buf[0] = 7;                                               // a Uint8Array over the block
 *   // in a WorkerProcess, a pool's worker thread, or a Thread it was passed to:
 *   const same = new SharedMemory({ name: shm.name });            // the same bytes
 *   same.close(); shm.close(); shm.unlink();
 *
 * Node cannot map memory between processes without a native addon, so a SharedMemory never leaves
 * its process: sending one to a spawned Process fails at once, saying so. Between threads it works
 * in both of Python's ways: the object itself in `args` (it arrives attached), or its name.
 */
import { randomBytes } from "node:crypto";
import { registerShareable } from "../internal/codec.js";
import { describe } from "../internal/options.js";
import { learn, lookup, publishCreate, publishUnlink } from "./shared-memory-registry.js";

/** Python's FileExistsError: `create` with a name that is taken. */
export class FileExistsError extends Error {
  override name = "FileExistsError";
  readonly code = "EEXIST";
}

/** Python's FileNotFoundError: no segment of that name in this process. */
export class FileNotFoundError extends Error {
  override name = "FileNotFoundError";
  readonly code = "ENOENT";
}

/** Options of `new SharedMemory(...)`: Python's `SharedMemory(name=None, create=False, size=0)`. */
export interface SharedMemoryOptions {
  /** The segment's name; with `create` and no name, a fresh `psm_` name is made. */
  name?: string | undefined;
  /** Make a new segment (default false: attach to an existing one). */
  create?: boolean | undefined;
  /** Bytes of a new segment (a positive integer); ignored when attaching. */
  size?: number | undefined;
  /** Python's resource-tracker switch. Accepted for ported code; nothing outlives this process. */
  track?: boolean | undefined;
}

const MAX_NAME = 255;

let adopting: { name: string; buffer: SharedArrayBuffer } | undefined;

function checkName(name: unknown): string {
  if (typeof name !== "string" || name === "" || name.length > MAX_NAME || name.includes("/") || name.includes("\0")) {
    throw new TypeError(`SharedMemory: name must be a non-empty string of at most ${MAX_NAME} characters without "/": got ${describe(name)}`);
  }
  return name;
}

/** A named block of shared bytes. */
export class SharedMemory {
  readonly #name: string;
  readonly #buffer: SharedArrayBuffer;
  #buf: Uint8Array | null;

  constructor(options: SharedMemoryOptions = {}) {
    if (adopting !== undefined) {
      // Arrived from another thread: the memory it carries, even if the name was unlinked since.
      ({ name: this.#name, buffer: this.#buffer } = adopting);
      adopting = undefined;
      this.#buf = new Uint8Array(this.#buffer);
      return;
    }
    if (typeof options !== "object" || options === null) throw new TypeError(`SharedMemory: expected an options object { name, create, size }: got ${describe(options)}`);
    if (options.create) {
      const size = options.size;
      if (typeof size !== "number" || !Number.isInteger(size) || size <= 0) {
        throw new RangeError(`SharedMemory: size must be a positive integer when creating: got ${describe(size)}`);
      }
      const name = options.name === undefined ? freshName() : checkName(options.name);
      if (lookup(name) !== undefined) throw new FileExistsError(`SharedMemory: a segment named ${JSON.stringify(name)} exists already`);
      this.#name = name;
      this.#buffer = new SharedArrayBuffer(size);
      publishCreate(name, this.#buffer);
    } else {
      if (options.name === undefined) throw new TypeError("SharedMemory: give a name to attach to, or create: true");
      const name = checkName(options.name);
      const buffer = lookup(name);
      if (buffer === undefined) {
        throw new FileNotFoundError(
          `SharedMemory: no segment named ${JSON.stringify(name)} in this process (made in another thread? it is found by name once ` +
            `it was made before this thread started, or while it was running; passing the SharedMemory object itself always works)`,
        );
      }
      this.#name = name;
      this.#buffer = buffer;
    }
    this.#buf = new Uint8Array(this.#buffer);
  }

  /** @internal A handle for a segment that arrived from another thread. */
  static fromShared(name: string, buffer: SharedArrayBuffer): SharedMemory {
    learn(name, buffer);
    adopting = { name, buffer };
    return new SharedMemory();
  }

  /** The segment's name (give it to `new SharedMemory({ name })` in another thread). */
  get name(): string {
    return this.#name;
  }

  /** Its size in bytes. */
  get size(): number {
    return this.#buffer.byteLength;
  }

  /** The bytes (Python's memoryview `buf`). Throws after `close()`. */
  get buf(): Uint8Array {
    if (this.#buf === null) throw new TypeError(`SharedMemory ${JSON.stringify(this.#name)} is closed`);
    return this.#buf;
  }

  /** @internal The memory itself, for sending this segment to another thread. */
  get sharedBuffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** Stops using the block through this handle (other handles and threads keep it). Safe to call twice. */
  close(): void {
    this.#buf = null;
  }

  /**
   * Removes the name, so that nobody attaches to it any more; attached handles keep working, as
   * after `shm_unlink`. Call it once, from one thread: a second time throws FileNotFoundError.
   */
  unlink(): void {
    if (lookup(this.#name) !== this.#buffer) throw new FileNotFoundError(`SharedMemory: ${JSON.stringify(this.#name)} was unlinked already`);
    publishUnlink(this.#name);
  }

  toString(): string {
    return `SharedMemory(${JSON.stringify(this.#name)}, size=${this.size})`;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** @internal The error for a SharedMemory (or a list in one) sent to another process. */
export function notAcrossProcesses(what: string, where: string): TypeError {
  return new TypeError(
    `${where}: cannot send a ${what} to another process: Node processes cannot map shared memory (that needs a native addon); ` +
      `use it between the threads of one process (getContext("worker")), or a Manager's list or Array between processes`,
  );
}

function freshName(): string {
  for (;;) {
    const name = `psm_${randomBytes(4).toString("hex")}`;
    if (lookup(name) === undefined) return name;
  }
}

registerShareable<SharedMemory, { name: string; buffer: SharedArrayBuffer }>({
  kind: "multiprocessing.SharedMemory",
  module: import.meta.url,
  is: (value): value is SharedMemory => value instanceof SharedMemory,
  encode(shm, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("SharedMemory", where);
    return { name: shm.name, buffer: shm.sharedBuffer };
  },
  decode: ({ name, buffer }) => SharedMemory.fromShared(name, buffer),
});
