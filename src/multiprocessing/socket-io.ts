/**
 * Direct reads and writes on a socket's file descriptor, beside Node's stream.
 *
 * Why: a small message through `socket.write` and a `'data'` event costs several microseconds of
 * stream machinery on each side, which is most of a round trip between two processes spinning for
 * each other (`spin-read.ts`). `read(2)` and `write(2)` on the non-blocking descriptor cost one
 * system call each.
 *
 * Order is kept: a direct write happens only when the stream has nothing queued (what libuv itself
 * does before queueing), and a direct read only while JavaScript runs, when libuv does not read.
 * Anything unusual (EAGAIN on a write, a reset, a closed descriptor) is left to the stream, which
 * reports it as it always does.
 */
import { readSync, writeSync } from "node:fs";
import type { Socket } from "node:net";

/** The socket's descriptor, or -1 when it has none usable (not connected yet, closed, not a fd). */
export function descriptorOf(socket: Socket | null): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } | null } | null)?._handle;
  const fd = handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

/**
 * Writes `bytes` to the socket: directly when the stream has nothing queued, the rest (or all)
 * through the stream. Returns whether everything went directly (nothing is left to flush).
 */
export function writeThrough(socket: Socket, bytes: Uint8Array): boolean {
  let written = 0;
  if (socket.writableLength === 0 && !socket.connecting && socket.writableCorked === 0) {
    const fd = descriptorOf(socket);
    if (fd >= 0) {
      try {
        written = writeSync(fd, bytes);
      } catch {
        written = 0; // EAGAIN (the socket buffer is full), EPIPE, ...: the stream deals with it
      }
    }
  }
  if (written === bytes.byteLength) return true;
  socket.write(written === 0 ? bytes : bytes.subarray(written));
  return false;
}

/**
 * Reads what the descriptor has into `buffer`: the count, or 0 when it has nothing now. The end of
 * the stream and errors also give 0: the stream sees them too and reports them in order.
 */
export function readAvailable(fd: number, buffer: Buffer): number {
  try {
    return readSync(fd, buffer, 0, buffer.length, null);
  } catch {
    return 0; // EAGAIN: nothing yet; anything else (a reset, a closed descriptor) is for the stream
  }
}
