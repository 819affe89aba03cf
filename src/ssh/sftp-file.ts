/**
 * paramiko's `SFTPFile`: an open remote file with a position (`read`, `write`, `seek`, `tell`), line
 * reading, and handle-based `stat`/`chmod`/`truncate`. Pipelined writes (`setPipelined`) do not wait
 * for each reply; their errors surface at `flush` or `close`. Reads of the rest of the file, or of
 * more than a block, are pipelined; after `prefetch()` every read is served from requests sent
 * ahead of it (`sftp-read-ahead.ts`).
 */
import { Readable, Writable } from "node:stream";
import type { SFTPWrapper } from "ssh2";
import { awaitReply } from "./sftp-reply.js";
import { SFTPAttributes } from "./sftp-attributes.js";
import { SFTP_STATUS, SFTPError, toSftpError } from "./sftp-error.js";
import { blockSizes } from "./sftp-transfer.js";
import { ReadAhead } from "./sftp-read-ahead.js";

/** Read requests in flight for a pipelined read (paramiko's prefetch default is unbounded). */
const READ_WINDOW = 16;

export class SFTPFile {
  readonly #sftp: SFTPWrapper;
  readonly #handle: Buffer;
  /** The remote path. */
  readonly path: string;
  readonly mode: string;
  #position = 0;
  #closed = false;
  #pipelined = false;
  #pendingWrites = new Set<Promise<void>>();
  #writeError: unknown;
  #lineBuffer: Buffer = Buffer.alloc(0);
  /** Set by `prefetch()`: reads go through a read-ahead from then on. */
  #prefetch: { window: number; end: number | undefined } | undefined;
  #ahead: ReadAhead | undefined;

  /** @internal Made by `SFTPClient.open`. */
  constructor(sftp: SFTPWrapper, handle: Buffer, path: string, mode: string, position = 0) {
    this.#sftp = sftp;
    this.#handle = handle;
    this.path = path;
    this.mode = mode;
    this.#position = position;
  }

  /** The raw SFTP handle. */
  get handle(): Buffer {
    return this.#handle;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Reads `size` bytes from the position (fewer at EOF), or the rest of the file; empty = EOF. */
  async read(size?: number): Promise<Buffer> {
    this.#checkOpen("read");
    this.#checkMode("read");
    if (this.#lineBuffer.length > 0) {
      const buffered = this.#lineBuffer;
      this.#lineBuffer = Buffer.alloc(0);
      this.#position -= buffered.length;
    }
    if (size !== undefined && (!Number.isInteger(size) || size < 0)) throw new RangeError(`SFTPFile.read: size must be a non-negative integer: got ${size}`);
    if (size === 0) return Buffer.alloc(0);
    const block = blockSizes(this.#sftp).read;
    let ahead = this.#readAhead();
    if (ahead === undefined) {
      // One block needs one request; more are asked for together, up to what is wanted.
      if (size !== undefined && size <= block) {
        const data = await this.#readAt(this.#position, size);
        this.#position += data.length;
        return data;
      }
      const window = size === undefined ? READ_WINDOW : Math.min(READ_WINDOW, Math.ceil(size / block));
      const end = size === undefined ? undefined : this.#position + size;
      ahead = new ReadAhead((at, length) => this.#readAt(at, length), this.#position, { block, window, end });
    }
    const data = await this.#take(ahead, size ?? Infinity);
    this.#position = ahead.position;
    if (ahead !== this.#ahead) ahead.cancel();
    return data;
  }

  /**
   * `ahead.take(size)`; when it fails, the read-ahead is dropped (what it had asked for is lost to
   * it, and must be asked again), and the position stays where it was.
   */
  async #take(ahead: ReadAhead, size: number): Promise<Buffer> {
    try {
      return await ahead.take(size);
    } catch (error) {
      ahead.cancel();
      if (ahead === this.#ahead) this.#ahead = undefined;
      throw error;
    }
  }

  /**
   * The read-ahead of `prefetch()`, started at the position when needed; one that a seek or a
   * write left behind is dropped (its answers are for other bytes or the old contents).
   */
  #readAhead(): ReadAhead | undefined {
    // A position elsewhere: a seek, or another read still running on this file (it fails, rather
    // than return bytes of a place it was not asked for).
    if (this.#ahead !== undefined && this.#ahead.position !== this.#position) this.#dropReadAhead(new Error(`SFTPFile.read '${this.path}': another read or a seek moved the position while this one ran`));
    if (this.#prefetch === undefined || this.#ahead !== undefined) return this.#ahead;
    const { window, end } = this.#prefetch;
    this.#ahead = new ReadAhead((at, length) => this.#readAt(at, length), this.#position, { block: blockSizes(this.#sftp).read, window, end });
    return this.#ahead;
  }

  #dropReadAhead(reason?: Error): void {
    this.#ahead?.cancel(reason);
    this.#ahead = undefined;
  }

  #readAt(position: number, length: number): Promise<Buffer> {
    return awaitReply(this.#sftp, (resolve, reject) => {
      const buffer = Buffer.allocUnsafe(length);
      this.#sftp.read(this.#handle, buffer, 0, length, position, (error, bytesRead) =>
        error ? reject(toSftpError(error, "read", this.path)) : resolve(buffer.subarray(0, bytesRead)),
      );
    });
  }

  /** Writes at the position (at the end in append mode, as the server decides). */
  async write(data: string | Buffer | Uint8Array): Promise<void> {
    this.#checkOpen("write");
    this.#checkMode("write");
    if (this.#writeError !== undefined) throw this.#writeError;
    const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // What it fetched may be what this overwrites: the next read asks again. (A read still running
    // finishes with it: it was asked before this write.)
    this.#ahead = undefined;
    const at = this.#position;
    this.#position += bytes.length;
    const written = awaitReply<void>(this.#sftp, (resolve, reject) => {
      this.#sftp.write(this.#handle, bytes, 0, bytes.length, at, (error) => (error ? reject(toSftpError(error, "write", this.path)) : resolve()));
    });
    if (!this.#pipelined) return written;
    this.#pendingWrites.add(written);
    written.then(
      () => this.#pendingWrites.delete(written),
      (error: unknown) => {
        this.#pendingWrites.delete(written);
        this.#writeError ??= error;
      },
    );
  }

  /** Moves the position: whence 0 from the start, 1 from the position, 2 from the end. */
  async seek(offset: number, whence: 0 | 1 | 2 = 0): Promise<number> {
    this.#checkOpen("seek");
    this.#lineBuffer = Buffer.alloc(0);
    if (whence === 0) this.#position = offset;
    else if (whence === 1) this.#position += offset;
    else this.#position = ((await this.stat()).stSize ?? 0) + offset;
    if (this.#position < 0) throw new RangeError(`SFTPFile.seek: position must not be negative: got ${this.#position}`);
    return this.#position;
  }

  /** The position. */
  tell(): number {
    return this.#position - this.#lineBuffer.length;
  }

  /** One line with its `\n`, or `""` at EOF. */
  async readline(): Promise<string> {
    this.#checkOpen("readline");
    this.#checkMode("read");
    const block = blockSizes(this.#sftp).read;
    for (;;) {
      const newline = this.#lineBuffer.indexOf(10);
      if (newline !== -1) {
        const line = this.#lineBuffer.subarray(0, newline + 1);
        this.#lineBuffer = this.#lineBuffer.subarray(newline + 1);
        return line.toString();
      }
      const ahead = this.#readAhead();
      const data = ahead !== undefined ? await this.#take(ahead, block) : await this.#readAt(this.#position, block);
      if (data.length === 0) {
        const rest = this.#lineBuffer;
        this.#lineBuffer = Buffer.alloc(0);
        return rest.toString();
      }
      this.#position += data.length;
      this.#lineBuffer = Buffer.concat([this.#lineBuffer, data]);
    }
  }

  async readlines(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.readline(); line !== ""; line = await this.readline()) lines.push(line);
    return lines;
  }

  /** Lines with their `\n`, as iterating a paramiko file. */
  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (let line = await this.readline(); line !== ""; line = await this.readline()) yield line;
  }

  /** Reads several ranges (pipelined), yielding each block in the order asked. */
  async *readv(chunks: Array<readonly [number, number]>): AsyncGenerator<Buffer> {
    this.#checkOpen("readv");
    this.#checkMode("read");
    const requests = chunks.map(([offset, length]) => this.#readFully(offset, length));
    for (const request of requests) yield await request;
  }

  async #readFully(offset: number, length: number): Promise<Buffer> {
    const block = blockSizes(this.#sftp).read;
    const parts: Promise<Buffer>[] = [];
    for (let at = offset; at < offset + length; at += block) parts.push(this.#readAt(at, Math.min(block, offset + length - at)));
    return Buffer.concat(await Promise.all(parts));
  }

  /**
   * paramiko's `prefetch`: the rest of the file will be read, so from now on reads are answered
   * from requests sent ahead of them, `maxConcurrentRequests` (default 16) at a time, up to
   * `fileSize` when given (past it, one at a time, to find the end). A `seek` elsewhere or a
   * `write` drops what was fetched ahead.
   */
  prefetch(options: { fileSize?: number; maxConcurrentRequests?: number } = {}): void {
    this.#checkOpen("prefetch");
    const { fileSize, maxConcurrentRequests = READ_WINDOW } = options;
    if (fileSize !== undefined && (!Number.isInteger(fileSize) || fileSize < 0)) throw new RangeError(`SFTPFile.prefetch: fileSize must be a non-negative integer: got ${fileSize}`);
    if (!Number.isInteger(maxConcurrentRequests) || maxConcurrentRequests < 1) {
      throw new RangeError(`SFTPFile.prefetch: maxConcurrentRequests must be a positive integer: got ${maxConcurrentRequests}`);
    }
    this.#dropReadAhead();
    this.#prefetch = { window: maxConcurrentRequests, end: fileSize };
  }

  /** Writes stop waiting for each reply; errors surface at `flush`/`close`. */
  setPipelined(pipelined = true): void {
    this.#pipelined = pipelined;
  }

  /** Waits for the pipelined writes; throws the first error among them. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pendingWrites]);
    if (this.#writeError !== undefined) {
      const error = this.#writeError;
      this.#writeError = undefined;
      throw error;
    }
  }

  /** Attributes of the open file (`fstat`). */
  stat(): Promise<SFTPAttributes> {
    this.#checkOpen("stat");
    return awaitReply(this.#sftp, (resolve, reject) => {
      this.#sftp.fstat(this.#handle, (error, stats) => (error ? reject(toSftpError(error, "fstat", this.path)) : resolve(SFTPAttributes.fromAttrs(stats))));
    });
  }

  #setstat(what: string, attrs: Parameters<SFTPWrapper["fsetstat"]>[1]): Promise<void> {
    this.#checkOpen(what);
    return awaitReply(this.#sftp, (resolve, reject) => {
      this.#sftp.fsetstat(this.#handle, attrs, (error) => (error ? reject(toSftpError(error, what, this.path)) : resolve()));
    });
  }

  chmod(mode: number): Promise<void> {
    return this.#setstat("chmod", { mode });
  }

  chown(uid: number, gid: number): Promise<void> {
    return this.#setstat("chown", { uid, gid });
  }

  /** Sets `[atime, mtime]` in seconds, or now when null. */
  utime(times: readonly [number, number] | null): Promise<void> {
    const now = Date.now() / 1000;
    const [atime, mtime] = times ?? [now, now];
    return this.#setstat("utime", { atime, mtime });
  }

  truncate(size: number): Promise<void> {
    return this.#setstat("truncate", { size });
  }

  /** A Node readable of the file from the position. */
  createReadStream(): Readable {
    const block = blockSizes(this.#sftp).read;
    const readable: Readable = new Readable({
      highWaterMark: block * 4,
      read: () => {
        this.#readAt(this.#position, block).then(
          (data) => {
            this.#position += data.length;
            readable.push(data.length === 0 ? null : data);
          },
          (error: Error) => readable.destroy(error),
        );
      },
    });
    return readable;
  }

  /** A Node writable writing at the position (pipelined). */
  createWriteStream(): Writable {
    this.setPipelined(true);
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.write(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        this.flush().then(() => callback(), callback);
      },
    });
  }

  /** Closes the handle (after the pipelined writes). Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#dropReadAhead(new Error(`SFTPFile.read '${this.path}': the file was closed while reading`));
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await awaitReply<void>(this.#sftp, (resolve, reject) => {
        this.#sftp.close(this.#handle, (error) => (error ? reject(toSftpError(error, "close", this.path)) : resolve()));
      }).catch((error: unknown) => {
        if ((error as { code?: string }).code !== "ECONNRESET") throw error;
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * As paramiko's "File not open for writing": checked here, because sftp-server answers a write to a
   * read-only handle (and a read of a write-only one) with "No such file", which names no mistake.
   */
  #checkMode(what: "read" | "write"): void {
    const flags = this.mode.replace("b", "");
    const allowed = flags.includes("+") || (what === "read" ? flags.startsWith("r") : !flags.startsWith("r"));
    if (allowed) return;
    const error = new SFTPError(what, SFTP_STATUS.FX_FAILURE, `the file is not open for ${what === "read" ? "reading" : "writing"} (mode "${this.mode}")`, this.path);
    error.code = "EBADF";
    throw error;
  }

  #checkOpen(where: string): void {
    if (this.#closed) throw new Error(`Cannot ${where}: file '${this.path}' is closed`);
  }
}
