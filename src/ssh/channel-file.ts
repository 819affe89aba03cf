/**
 * paramiko's `ChannelFile` / `ChannelStderrFile` / `ChannelStdinFile`: a channel's output as a
 * pull-style reader (`read`, `readline`, `text`, line iteration) and its input as a writer.
 * They wrap a stream rather than subclass it, so `read()` keeps paramiko's meaning.
 */
import type { Readable, Writable } from "node:stream";
import { SSHException, SSHTimeoutError } from "./errors.js";

/** What a channel file needs of its channel: the read timeout (`settimeout`). */
export interface ReadTimeoutSource {
  gettimeout(): number | null;
}

/** Output of a channel (stdout or stderr). */
export class ChannelFile<C extends ReadTimeoutSource = ReadTimeoutSource> {
  /** The channel this file reads from (`stdout.channel.recvExitStatus()`). */
  readonly channel: C;
  /** The underlying stream: pipe it, or iterate its chunks (`for await (const chunk of f.stream)`). */
  readonly stream: Readable;
  #ended = false;

  constructor(channel: C, stream: Readable) {
    this.channel = channel;
    this.stream = stream;
    stream.once("end", () => (this.#ended = true));
  }

  /**
   * Reads up to `size` bytes (whatever has arrived, waiting for at least one byte), or everything up to
   * EOF when no size is given. An empty buffer means EOF, as in paramiko.
   */
  async read(size?: number): Promise<Buffer> {
    if (size === undefined) return this.readAll();
    for (;;) {
      const chunk = this.stream.read(Math.min(size, this.stream.readableLength || size)) as Buffer | null;
      if (chunk !== null) return chunk;
      if (this.#ended || this.stream.readableEnded || this.stream.destroyed) return Buffer.alloc(0);
      await this.#waitReadable();
    }
  }

  /** Everything up to EOF. */
  async readAll(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) {
        chunks.push(chunk);
        continue;
      }
      if (this.#ended || this.stream.readableEnded || this.stream.destroyed) return Buffer.concat(chunks);
      await this.#waitReadable();
    }
  }

  /** Everything up to EOF, decoded. */
  async text(encoding: BufferEncoding = "utf8"): Promise<string> {
    return (await this.readAll()).toString(encoding);
  }

  /** One line with its `\n`, or `""` at EOF. */
  async readline(): Promise<string> {
    const bytes: Buffer[] = [];
    for (;;) {
      const chunk = this.stream.read() as Buffer | null;
      if (chunk === null) {
        if (this.#ended || this.stream.readableEnded || this.stream.destroyed) return Buffer.concat(bytes).toString();
        await this.#waitReadable();
        continue;
      }
      const newline = chunk.indexOf(10);
      if (newline === -1) {
        bytes.push(chunk);
        continue;
      }
      bytes.push(chunk.subarray(0, newline + 1));
      if (newline + 1 < chunk.length) this.stream.unshift(chunk.subarray(newline + 1));
      return Buffer.concat(bytes).toString();
    }
  }

  /** Every remaining line, each with its `\n`. */
  async readlines(): Promise<string[]> {
    const lines: string[] = [];
    for await (const line of this.lines({ keepEnds: true })) lines.push(line);
    return lines;
  }

  /** The lines as they arrive (without their line ends unless `keepEnds`). */
  async *lines(options: { keepEnds?: boolean } = {}): AsyncGenerator<string> {
    for (;;) {
      const line = await this.readline();
      if (line === "") return;
      yield options.keepEnds ? line : line.replace(/\r?\n$/, "");
    }
  }

  /** Line iteration, each line with its `\n` (as iterating a paramiko file, or an SFTP file here). */
  [Symbol.asyncIterator](): AsyncGenerator<string> {
    return this.lines({ keepEnds: true });
  }

  #waitReadable(): Promise<void> {
    const timeout = this.channel.gettimeout();
    return new Promise<void>((resolve, reject) => {
      const stream = this.stream;
      const cleanup = () => {
        stream.off("readable", done);
        stream.off("end", done);
        stream.off("close", done);
        stream.off("error", onError);
        if (timer) clearTimeout(timer);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      const timer =
        timeout === null
          ? undefined
          : setTimeout(() => {
              cleanup();
              reject(new SSHTimeoutError("read", timeout));
            }, timeout);
      stream.on("readable", done);
      stream.on("end", done);
      stream.on("close", done);
      stream.on("error", onError);
    });
  }
}

/** Input of a channel. `close()` sends EOF, as paramiko's `ChannelStdinFile.close`. */
export class ChannelStdinFile<C = unknown> {
  readonly channel: C;
  /** The underlying writable: `pipeline(source, stdin.stream)` streams a file to the command. */
  readonly stream: Writable;

  /**
   * Closed here (`Channel.close()`): ssh2 then never calls back a write it holds, and ends the stream
   * only when the server closes too, which sshd does when the command exits: whatever waits on the
   * input is let go at once instead.
   */
  #closedHere = false;
  readonly #waiting = new Set<() => void>();

  constructor(channel: C, stream: Writable) {
    this.channel = channel;
    this.stream = stream;
  }

  /** @internal The channel was closed on this side: writes waiting reject, a close waiting resolves. */
  _closedHere(): void {
    this.#closedHere = true;
    for (const stop of [...this.#waiting]) stop();
  }

  /**
   * Writes data; resolves once the stream accepts more (backpressure). Rejects `SSHException` when
   * the input is already closed (EOF sent, the channel closed, the command gone) or closes before
   * taking the data, as paramiko's `send` raises "Socket is closed": ssh2 would keep such bytes
   * forever, never calling back.
   */
  async write(data: string | Buffer | Uint8Array): Promise<void> {
    const stream = this.stream;
    if (this.#closedHere || stream.writableEnded || stream.destroyed) throw closedInput();
    if (!stream.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          stream.off("drain", onDrain);
          stream.off("close", onClose);
          stream.off("error", onError);
          this.#waiting.delete(onClose);
        };
        const onDrain = () => {
          cleanup();
          resolve();
        };
        const onClose = () => {
          cleanup();
          reject(closedInput());
        };
        const onError = (error: Error) => {
          cleanup();
          reject(error);
        };
        stream.once("drain", onDrain);
        stream.once("close", onClose);
        stream.once("error", onError);
        this.#waiting.add(onClose);
      });
    }
  }

  /** Sends EOF: the command sees the end of its input. */
  async close(): Promise<void> {
    if (this.#closedHere) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#waiting.delete(done);
        resolve();
      };
      this.#waiting.add(done);
      this.stream.end(done);
    });
  }

  /** Same as {@link close}. */
  shutdownWrite(): Promise<void> {
    return this.close();
  }
}

function closedInput(): SSHException {
  return new SSHException("Cannot write to the channel: its input is closed (EOF sent, or the channel closed)");
}
