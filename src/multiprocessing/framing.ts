/**
 * The wire format of a `Connection`, as in CPython's `multiprocessing/connection.py`: each message is
 * a frame made of a 4-byte big-endian signed length and the payload. A payload over 2 GiB - 1 is
 * announced by the length -1 followed by an 8-byte big-endian length.
 *
 * `FrameParser` cuts a byte stream into frames. It checks the announced length against a limit
 * BEFORE buffering anything, so a peer cannot make the reader allocate what it announces. A frame
 * wholly inside one received chunk is handed out as a view of that chunk (no copy); a frame spread
 * over chunks is assembled once into a buffer of its exact size.
 */
import { FrameError } from "./errors.js";

/** Largest payload announced with the short (4-byte) header. */
const SHORT_MAX = 0x7fffffff;

/** The header announcing a payload of `length` bytes. */
export function frameHeader(length: number): Buffer {
  if (length <= SHORT_MAX) {
    const header = Buffer.allocUnsafe(4);
    header.writeInt32BE(length, 0);
    return header;
  }
  const header = Buffer.allocUnsafe(12);
  header.writeInt32BE(-1, 0);
  header.writeBigUInt64BE(BigInt(length), 4);
  return header;
}

/** Header and payload in one new buffer (cheaper than two writes for small payloads). */
export function frameOf(payload: Uint8Array): Buffer {
  const length = payload.byteLength;
  if (length > SHORT_MAX) return Buffer.concat([frameHeader(length), payload]);
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeInt32BE(length, 0);
  frame.set(payload, 4);
  return frame;
}

/** Cuts a byte stream into frames. */
export class FrameParser {
  readonly #maxLength: number;
  readonly #header = Buffer.allocUnsafe(12);
  #headerFill = 0;
  #frame: Buffer | null = null;
  #frameFill = 0;

  /** @param maxLength the largest payload accepted; a larger announced length throws `FrameError`. */
  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  #strictFrames = 0;
  #strictLimit = 0;

  /** Applies the lower limit `max` to the next `count` frames only (a handshake's). */
  limitNext(count: number, max: number): void {
    this.#strictFrames = count;
    this.#strictLimit = max;
  }

  /** Whether a frame has been started and not finished (the stream stopped in the middle). */
  get partial(): { have: number; expected: number | undefined } | undefined {
    if (this.#frame !== null) return { have: this.#frameFill, expected: this.#frame.length };
    if (this.#headerFill > 0) return { have: this.#headerFill, expected: undefined };
    return undefined;
  }

  /**
   * Feeds `chunk`, calling `onFrame` for each frame it completes.
   * @throws FrameError when a header announces more than the limit, or an invalid length.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      const frame = this.#frame;
      if (frame !== null) {
        const n = Math.min(frame.length - this.#frameFill, end - offset);
        chunk.copy(frame, this.#frameFill, offset, offset + n);
        this.#frameFill += n;
        offset += n;
        if (this.#frameFill === frame.length) {
          this.#frame = null;
          onFrame(frame);
        }
        continue;
      }
      let length: number;
      if (this.#headerFill === 0 && end - offset >= 4 && chunk.readInt32BE(offset) !== -1) {
        length = chunk.readInt32BE(offset);
        offset += 4;
      } else {
        const need = this.#headerFill < 4 ? 4 : 12;
        const n = Math.min(need - this.#headerFill, end - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + n);
        this.#headerFill += n;
        offset += n;
        if (this.#headerFill < need) continue;
        const short = this.#header.readInt32BE(0);
        if (short === -1 && need === 4) continue; // the 8-byte length follows
        length = short === -1 ? Number(this.#header.readBigUInt64BE(4)) : short;
        this.#headerFill = 0;
      }
      if (length < 0) throw new FrameError(`Cannot read message: invalid length ${length} in frame header`);
      let limit = this.#maxLength;
      if (this.#strictFrames > 0) {
        this.#strictFrames -= 1;
        limit = this.#strictLimit;
      }
      if (length > limit) {
        throw new FrameError(`Cannot read message: its announced length ${length} bytes exceeds the limit of ${limit} bytes`);
      }
      if (end - offset >= length) {
        onFrame(chunk.subarray(offset, offset + length));
        offset += length;
      } else {
        this.#frame = Buffer.allocUnsafe(length);
        this.#frameFill = 0;
      }
    }
  }
}
