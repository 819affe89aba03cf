/**
 * Pipelined sequential reading of a remote file: up to `window` read requests in flight for the
 * blocks after the position, handed out in order. It is what makes `SFTPFile.read()` of a whole
 * file, a large `read(size)`, and reading after `prefetch()` cost one round trip per `window`
 * blocks instead of one per block (paramiko's prefetch).
 *
 *   const ahead = new ReadAhead(readAt, position, { block: 255 * 1024, window: 16 });
 *   const bytes = await ahead.take(1_000_000); // fewer at the end of the file; empty at EOF
 *
 * A server may answer a request with fewer bytes than asked without being at the end of the file;
 * the rest of that block is read before the blocks after it, so the bytes always come in order.
 */

/** Reads up to `length` bytes at `position`; fewer or none at the end of the file. */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

export interface ReadAheadOptions {
  /** Bytes per request (the server's largest read). */
  block: number;
  /** Requests in flight at most. */
  window: number;
  /** Where the file ends, if known: nothing is asked past it until the reads get there. */
  end?: number | undefined;
}

interface Pending {
  at: number;
  length: number;
  data: Promise<Buffer>;
}

export class ReadAhead {
  readonly #readAt: ReadAt;
  readonly #block: number;
  readonly #window: number;
  readonly #end: number | undefined;
  #queue: Pending[] = [];
  /** The next offset to ask for. */
  #next: number;
  /** Bytes at `position` already received. */
  #buffer: Buffer = Buffer.alloc(0);
  #eof = false;
  /** Why it was stopped, when a `take` still waiting must fail rather than end short. */
  #stopped: Error | undefined;
  /** The offset of the next byte `take` hands out. */
  position: number;

  constructor(readAt: ReadAt, position: number, options: ReadAheadOptions) {
    this.#readAt = readAt;
    this.#block = options.block;
    this.#window = Math.max(1, options.window);
    this.#end = options.end;
    this.position = position;
    this.#next = position;
  }

  /** Up to `size` bytes from the position, in order (fewer at the end of the file; Infinity: all). */
  async take(size: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let wanted = size;
    while (wanted > 0) {
      if (this.#buffer.length > 0) {
        const part = this.#buffer.subarray(0, Math.min(wanted, this.#buffer.length));
        this.#buffer = this.#buffer.subarray(part.length);
        this.position += part.length;
        wanted -= part.length;
        parts.push(part);
        continue;
      }
      if (this.#eof) break;
      const block = await this.#nextBlock();
      if (this.#stopped !== undefined) throw this.#stopped;
      this.#buffer = block;
      if (this.#buffer.length === 0) this.#eof = true;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Stops using what is in flight (its answers, and errors, are dropped). A `take` still waiting
   * rejects with `reason`.
   */
  cancel(reason: Error = new Error("the read-ahead was stopped")): void {
    this.#stopped ??= reason;
    this.#queue = [];
    this.#buffer = Buffer.alloc(0);
    this.#eof = true;
  }

  async #nextBlock(): Promise<Buffer> {
    this.#fill(this.#window);
    // Past the known end, one request at a time: it finds the end of the file, or that it grew.
    const head = this.#queue.shift() ?? this.#request(this.#next, this.#block);
    this.#fill(this.#window - 1); // the head is in flight too
    const data = await head.data;
    if (data.length === 0 || data.length === head.length) {
      if (data.length === 0) {
        // The end of the file: what is still in flight asks past it.
        this.#queue = [];
        this.#eof = true;
      }
      return data;
    }
    // A short answer inside the file: the rest of this block comes before the next ones.
    const parts = [data];
    let at = head.at + data.length;
    while (at < head.at + head.length) {
      const more = await this.#readAt(at, head.at + head.length - at);
      if (more.length === 0) break;
      parts.push(more);
      at += more.length;
    }
    return Buffer.concat(parts);
  }

  /** Tops the queued requests up to `limit`, stopping at the known end. */
  #fill(limit: number): void {
    while (this.#queue.length < limit && !this.#eof && (this.#end === undefined || this.#next < this.#end)) {
      const length = this.#end === undefined ? this.#block : Math.min(this.#block, this.#end - this.#next);
      this.#queue.push(this.#request(this.#next, length));
    }
  }

  #request(at: number, length: number): Pending {
    const data = this.#readAt(at, length);
    // A request dropped by cancel() may still fail: not an unhandled rejection.
    data.catch(() => undefined);
    this.#next = at + length;
    return { at, length, data };
  }
}
