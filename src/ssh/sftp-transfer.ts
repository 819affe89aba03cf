/**
 * The pipelined SFTP transfer engine behind `put`/`get`/`putfo`/`getfo`: many requests of the
 * server's largest size in flight at once (OpenSSH: 255 KiB, from its `limits@openssh.com`), so the
 * link stays full instead of waiting one round trip per block.
 */
import type { FileHandle } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import type { SFTPWrapper } from "ssh2";
import { awaitReply } from "./sftp-reply.js";
import { toSftpError } from "./sftp-error.js";

/**
 * Requests in flight by default. 16 blocks of 255 KiB (4 MiB) keep OpenSSH's 2 MiB channel window
 * full with data to spare; measured here, more only costs CPU and memory.
 */
export const DEFAULT_IN_FLIGHT = 16;

/** Progress callback: bytes done so far and the total (0 when unknown). */
export type TransferCallback = (transferred: number, total: number) => void;

/** The largest read and write the session allows (ssh2 learns them from the server's limits). */
export function blockSizes(sftp: SFTPWrapper): { read: number; write: number } {
  const limits = sftp as unknown as { _maxReadLen?: number; _maxWriteLen?: number };
  return { read: limits._maxReadLen ?? 32 * 1024, write: limits._maxWriteLen ?? 32 * 1024 };
}

function sftpWrite(sftp: SFTPWrapper, handle: Buffer, data: Buffer, position: number, path: string): Promise<void> {
  return awaitReply(sftp, (resolve, reject) => {
    sftp.write(handle, data, 0, data.length, position, (error) => (error ? reject(toSftpError(error, "write", path)) : resolve()));
  });
}

function sftpRead(sftp: SFTPWrapper, handle: Buffer, length: number, position: number, path: string): Promise<Buffer> {
  return awaitReply(sftp, (resolve, reject) => {
    const buffer = Buffer.allocUnsafe(length);
    sftp.read(handle, buffer, 0, length, position, (error, bytesRead) =>
      error ? reject(toSftpError(error, "read", path)) : resolve(buffer.subarray(0, bytesRead)),
    );
  });
}

/** Limits the requests in flight and remembers the first failure. */
class Window {
  #inFlight = 0;
  #waiters: Array<() => void> = [];
  #error: unknown;
  readonly #max: number;
  readonly #detach: () => void;
  /** `sftp`: when the session closes, requests still in flight will never be answered: fail at once. */
  constructor(max: number, sftp: SFTPWrapper, path: string) {
    this.#max = max;
    const onClose = () => this.fail(toSftpError(new Error("the SFTP session closed during the transfer"), "transfer", path));
    sftp.once("close", onClose);
    this.#detach = () => sftp.off("close", onClose);
  }
  fail(error: unknown): void {
    this.#error ??= error;
    this.#detach();
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
  get failed(): unknown {
    return this.#error;
  }
  async slot(): Promise<void> {
    while (this.#inFlight >= this.#max && this.#error === undefined) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (this.#error !== undefined) throw this.#error;
    this.#inFlight++;
  }
  track(promise: Promise<unknown>): void {
    promise.then(
      () => this.#release(),
      (error: unknown) => {
        this.#error ??= error;
        this.#release();
      },
    );
  }
  async drain(): Promise<void> {
    while (this.#inFlight > 0 && this.#error === undefined) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#detach();
    if (this.#error !== undefined) throw this.#error;
  }
  #release(): void {
    this.#inFlight--;
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

export interface UploadOptions {
  total: number;
  callback?: TransferCallback | undefined;
  maxConcurrentRequests?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Writes a stream of chunks to a remote handle, pipelined. Returns the byte count. */
export async function upload(sftp: SFTPWrapper, handle: Buffer, path: string, source: AsyncIterable<Buffer | string>, options: UploadOptions): Promise<number> {
  const block = blockSizes(sftp).write;
  const window = new Window(options.maxConcurrentRequests ?? DEFAULT_IN_FLIGHT, sftp, path);
  let position = 0;
  let acknowledged = 0;
  for await (const chunk of source) {
    options.signal?.throwIfAborted();
    const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    for (let offset = 0; offset < data.length; offset += block) {
      const piece = data.subarray(offset, Math.min(offset + block, data.length));
      await window.slot();
      const at = position;
      position += piece.length;
      window.track(
        sftpWrite(sftp, handle, piece, at, path).then(() => {
          acknowledged += piece.length;
          options.callback?.(acknowledged, options.total);
        }),
      );
    }
  }
  await window.drain();
  return position;
}

export interface DownloadOptions {
  /** The file size as stat reported it (reads continue past it until EOF). */
  size: number;
  callback?: TransferCallback | undefined;
  maxConcurrentRequests?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Reads a remote handle, pipelined, handing each block to `sink` at its offset (in any order; `ordered`
 * sinks get them in file order). Returns the byte count.
 */
export async function download(
  sftp: SFTPWrapper,
  handle: Buffer,
  path: string,
  sink: (data: Buffer, position: number) => Promise<void>,
  options: DownloadOptions & { ordered?: boolean },
): Promise<number> {
  const block = blockSizes(sftp).read;
  const window = new Window(options.maxConcurrentRequests ?? DEFAULT_IN_FLIGHT, sftp, path);
  let next = 0;
  let eofAt = Infinity;
  let received = 0;
  // Ordered sinks: completed blocks wait here until every earlier byte has been handed over.
  const pending = new Map<number, Buffer>();
  let flushedTo = 0;
  let flushing: Promise<void> = Promise.resolve();

  const deliver = (data: Buffer, position: number): Promise<void> => {
    if (!options.ordered) return sink(data, position);
    pending.set(position, data);
    flushing = flushing.then(async () => {
      for (let chunk = pending.get(flushedTo); chunk !== undefined; chunk = pending.get(flushedTo)) {
        pending.delete(flushedTo);
        const at = flushedTo;
        flushedTo += chunk.length;
        await sink(chunk, at);
      }
    });
    return flushing;
  };

  const fetch = async (position: number, length: number): Promise<void> => {
    const data = await sftpRead(sftp, handle, length, position, path);
    if (data.length === 0) {
      eofAt = Math.min(eofAt, position);
      return;
    }
    received += data.length;
    options.callback?.(received, options.size);
    const delivered = deliver(data, position);
    if (data.length < length) {
      // A short read is not EOF: ask for the rest of the block.
      await fetch(position + data.length, length - data.length);
    }
    await delivered;
  };

  while (next < eofAt) {
    options.signal?.throwIfAborted();
    // Past the known size, read one block at a time until EOF shows.
    if (next >= options.size) {
      await window.drain();
      if (next >= eofAt) break;
      await window.slot();
      window.track(fetch(next, block));
      await window.drain();
      next += block;
      continue;
    }
    await window.slot();
    const at = next;
    const length = Math.min(block, options.size - at);
    next += length;
    window.track(fetch(at, length));
  }
  await window.drain();
  await flushing;
  return received;
}

/** A local file as chunks, read ahead (one read in flight while the previous block is sent). */
export async function* fileChunks(file: FileHandle, chunkSize = 1024 * 1024): AsyncGenerator<Buffer> {
  let position = 0;
  const readAt = async (at: number) => {
    const buffer = Buffer.allocUnsafe(chunkSize);
    const { bytesRead } = await file.read(buffer, 0, chunkSize, at);
    return buffer.subarray(0, bytesRead);
  };
  let ahead = readAt(position);
  for (;;) {
    const chunk = await ahead;
    if (chunk.length === 0) return;
    position += chunk.length;
    ahead = readAt(position);
    yield chunk;
  }
}

/** A sink writing to a Node writable in order, honouring its backpressure. */
export function writableSink(writable: Writable): (data: Buffer) => Promise<void> {
  return (data) =>
    new Promise<void>((resolve, reject) => {
      if (writable.write(data)) return resolve();
      const onDrain = () => {
        writable.off("error", onError);
        resolve();
      };
      const onError = (error: Error) => {
        writable.off("drain", onDrain);
        reject(error);
      };
      writable.once("drain", onDrain);
      writable.once("error", onError);
    });
}

/** A readable as chunks. */
export async function* readableChunks(readable: Readable): AsyncGenerator<Buffer | string> {
  for await (const chunk of readable) yield chunk as Buffer | string;
}
