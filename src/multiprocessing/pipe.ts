/**
 * `Pipe()`: a pair of connected `Connection`s (Python's `multiprocessing.Pipe`). Node has no
 * `socketpair()`, so the pair is made by listening once on a fresh unix socket path in this process's
 * private socket dir, connecting to it, and removing the path. Both ends are plain sockets: either
 * can be handed to a child process (as a `Process` argument), and two children can talk through a
 * pipe their parent made.
 */
import { createServer, type Socket } from "node:net";
import { unlinkSync } from "node:fs";
import { Connection, type ConnectionOptions } from "./connection.js";
import { connectSocket } from "./listener.js";
import { socketPath } from "./socket-dir.js";
import { describe } from "../internal/options.js";

/** Options of `Pipe`. */
export interface PipeOptions extends Pick<ConnectionOptions, "maxMessageSize"> {
  /** Both ends send and receive (default true). With false: `[readOnly, writeOnly]`. */
  duplex?: boolean | undefined;
}

/** A connected pair of connections: `[a, b]`, or `[reader, writer]` with `duplex: false`. */
export async function Pipe(options: PipeOptions = {}): Promise<[Connection, Connection]> {
  if (typeof options !== "object" || options === null) throw new TypeError(`Pipe: options must be an object: got ${describe(options)}`);
  const duplex = options.duplex ?? true;
  if (typeof duplex !== "boolean") throw new TypeError(`Pipe: duplex must be a boolean: got ${describe(duplex)}`);
  const { maxMessageSize } = options;
  if (maxMessageSize !== undefined && (typeof maxMessageSize !== "number" || !Number.isInteger(maxMessageSize) || maxMessageSize < 1)) {
    throw new TypeError(`Pipe: maxMessageSize must be a positive integer (bytes): got ${describe(maxMessageSize)}`);
  }
  const [left, right] = await socketPair();
  if (duplex) return [new Connection(left, { maxMessageSize }), new Connection(right, { maxMessageSize })];
  return [
    new Connection(left, { writable: false, maxMessageSize }),
    new Connection(right, { readable: false, maxMessageSize }),
  ];
}

/** Two connected unix stream sockets, neither read from yet. */
async function socketPair(): Promise<[Socket, Socket]> {
  const path = socketPath("pipe");
  const server = createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    const [near, far] = await Promise.all([accepted, connectSocket(path)]);
    (near as unknown as { server: unknown }).server = null;
    return [near, far];
  } finally {
    server.close();
    try {
      unlinkSync(path);
    } catch {
      // Already removed by close().
    }
  }
}
