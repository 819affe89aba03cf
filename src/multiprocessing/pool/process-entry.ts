/**
 * Entry point of a Pool worker process: task frames come in on file descriptor 3, result frames go
 * out on file descriptor 4 (two socket pairs made by the pool). The first frame is the worker's
 * identity, taken before any task runs (see `process-link.ts`). The process exits when the pool
 * says STOP, or when descriptor 3 closes (the pool is gone).
 *
 * Results are written with a blocking `writeSync`, each before the next task starts: a stream
 * write may sit in this process's memory, and a task that then calls `process.exit()` (or crashes)
 * would take the results of the tasks before it along.
 */
import { writeSync } from "node:fs";
import { Socket } from "node:net";
import { deserialize } from "node:v8";
import { FrameParser } from "../framing.js";
import { HEADER_BYTES } from "./wire.js";
import { WorkerRuntime } from "./worker-runtime.js";
import { adoptIdentity, type Self } from "../process.js";

if (process.argv[2]) process.title = `node ${process.argv[2]}`;
const channel = new Socket({ fd: 3, readable: true, writable: false });
const RESULTS_FD = 4;

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(frame: Buffer): void {
  let offset = 0;
  while (offset < frame.length) {
    try {
      offset += writeSync(RESULTS_FD, frame, offset, frame.length - offset);
    } catch (error) {
      // The descriptor is blocking, but should it ever be non-blocking: wait for the pool to read.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
const parser = new FrameParser(2 ** 31 - 1);

const runtime = new WorkerRuntime(
  "process",
  {
    send(kind, id, ms, payload) {
      const length = HEADER_BYTES + (payload?.length ?? 0);
      const frame = Buffer.allocUnsafe(4 + length);
      frame.writeInt32BE(length, 0);
      frame[4] = kind;
      frame.writeUInt32LE(id >>> 0, 8);
      frame.writeDoubleLE(ms, 12);
      if (payload !== undefined) frame.set(payload, 4 + HEADER_BYTES);
      writeAll(frame);
    },
    exit() {
      process.exit(0);
    },
  },
  () => false,
  () => {},
);

let adopted = false;
function onFrame(frame: Uint8Array): void {
  if (adopted) {
    runtime.receive(frame);
    return;
  }
  adopted = true;
  const identity = deserialize(frame) as Self;
  adoptIdentity({ ...identity, authkey: Buffer.from(identity.authkey) });
}

channel.on("data", (chunk: Buffer) => {
  parser.push(chunk, onFrame);
  runtime.start();
});
channel.on("end", () => process.exit(0));
channel.on("error", () => process.exit(1));
