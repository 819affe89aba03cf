/**
 * Network shaping for a testbed host: added latency and a bandwidth cap, applied to the TCP
 * socket before the SSH server sees it.
 */
import type { Socket } from "node:net";

/** How a socket is shaped; both are optional. */
export interface Shape {
  /** Milliseconds added to every chunk the server sends (so to every round trip). */
  latency?: number | undefined;
  /** Bandwidth cap each way, in megabytes (10^6 bytes) per second. */
  slow?: number | undefined;
}

/**
 * Delays and paces what the server writes to `socket`, and paces what it reads.
 *
 * Writes go into one FIFO with a release time of `max(now + latency, previous release + size / rate)`,
 * drained by a single timer: one queue, not a timer per chunk, because timers armed in the same
 * tick may fire out of order and SSH packets must not. `end()` waits for the queue. Reads are paced
 * by pausing the socket for as long as the bytes received are ahead of the rate.
 */
export function shapeSocket(socket: Socket, shape: Shape): void {
  const latency = shape.latency ?? 0;
  const bytesPerMs = shape.slow !== undefined && shape.slow > 0 ? (shape.slow * 1e6) / 1000 : Infinity;
  if (latency <= 0 && bytesPerMs === Infinity) return;

  const write = socket.write.bind(socket) as (chunk: Buffer | string) => boolean;
  const end = socket.end.bind(socket) as () => Socket;
  const queue: { at: number; chunk: Buffer | string }[] = [];
  let head = 0;
  let lastRelease = 0;
  let endRequested = false;
  let writeTimer: NodeJS.Timeout | undefined;
  let readTimer: NodeJS.Timeout | undefined;

  const pump = () => {
    writeTimer = undefined;
    if (socket.destroyed) return;
    const now = performance.now();
    while (head < queue.length && queue[head]!.at <= now + 0.5) write(queue[head++]!.chunk);
    if (head > 1024) {
      // Drop what was sent, so a long transfer does not keep every chunk it ever queued.
      queue.splice(0, head);
      head = 0;
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      if (endRequested) end();
      return;
    }
    writeTimer = setTimeout(pump, Math.max(1, queue[head]!.at - now));
  };
  socket.once("close", () => {
    clearTimeout(writeTimer);
    clearTimeout(readTimer);
  });

  // The overrides keep the socket's contract for ssh2: write() accepts and returns true, end() ends after the queue.
  (socket as unknown as { write: (chunk: Buffer | string) => boolean }).write = (chunk) => {
    const size = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    const now = performance.now();
    const at = Math.max(now + latency, lastRelease + size / bytesPerMs);
    lastRelease = Math.max(at, now);
    queue.push({ at, chunk });
    if (writeTimer === undefined) writeTimer = setTimeout(pump, Math.max(1, at - now));
    return true;
  };
  (socket as unknown as { end: () => Socket }).end = () => {
    endRequested = true;
    if (writeTimer === undefined && head === queue.length) end();
    return socket;
  };

  if (bytesPerMs !== Infinity) {
    let readAllowedAt = performance.now();
    socket.prependListener("data", (chunk: Buffer) => {
      const now = performance.now();
      readAllowedAt = Math.max(readAllowedAt, now) + chunk.length / bytesPerMs;
      const ahead = readAllowedAt - now;
      if (ahead > 5 && readTimer === undefined) {
        socket.pause();
        readTimer = setTimeout(() => {
          readTimer = undefined;
          socket.resume();
        }, ahead);
      }
    });
  }
}
