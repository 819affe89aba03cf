/**
 * Entry point of a Pool worker process: frames on file descriptor 3 (a socket pair made by the
 * pool) and the runtime. The process exits when the pool says STOP, or when its end of the socket
 * closes (the pool is gone).
 */
import { Socket } from "node:net";
import { FrameParser } from "../framing.js";
import { HEADER_BYTES } from "./wire.js";
import { WorkerRuntime } from "./worker-runtime.js";

if (process.argv[2]) process.title = `node ${process.argv[2]}`;
const channel = new Socket({ fd: 3, readable: true, writable: true });
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
      channel.write(frame);
    },
    exit() {
      channel.end(() => process.exit(0));
    },
  },
  () => false,
  () => {},
);

channel.on("data", (chunk: Buffer) => {
  parser.push(chunk, (frame) => runtime.receive(frame));
  runtime.start();
});
channel.on("end", () => process.exit(0));
channel.on("error", () => process.exit(1));
