/**
 * Sockets that travel with a child's arguments. A `Connection` inside `Process` args cannot cross
 * as bytes: its socket itself must move to the child (the fork IPC channel passes file descriptors).
 * While `Process.start()` encodes the arguments, connections found inside are collected here and
 * replaced by their index; the child, while decoding, takes each socket back by index.
 */
import type { Socket } from "node:net";
import { registerShareable } from "../internal/codec.js";
import { Connection, kDetach } from "./connection.js";

interface ConnectionMarker {
  readonly handle: number;
  readonly readable: boolean;
  readonly writable: boolean;
}

let outgoing: Connection[] | undefined;
let incoming: Socket[] | undefined;

/** Runs `encode` collecting the connections it meets; returns its result and them. */
export function collectingConnections<T>(encode: () => T): { value: T; connections: Connection[] } {
  const previous = outgoing;
  const connections: Connection[] = [];
  outgoing = connections;
  try {
    return { value: encode(), connections };
  } finally {
    outgoing = previous;
  }
}

/** Sets the sockets a parent sent, so that connections decoded next get theirs (the child's bootstrap). */
export function setReceivedSockets(sockets: Socket[] | undefined): void {
  incoming = sockets;
}

/** The socket of `conn`, taken from it for sending (the connection becomes closed here). */
export function detachSocket(conn: Connection, where: string): Socket {
  return conn[kDetach](where);
}

registerShareable<Connection, ConnectionMarker>({
  kind: "multiprocessing.Connection",
  module: import.meta.url,
  is: (value): value is Connection => value instanceof Connection,
  encode(conn, boundary, where) {
    if (boundary !== "process") throw new TypeError(`${where}: cannot send a Connection to a worker thread; use a MessageChannel, or a Process`);
    if (outgoing === undefined) {
      throw new TypeError(
        `${where}: a Connection can go to another process only as an argument of a Process it starts (its socket moves to the child); ` +
          `to reach an unrelated process, use a Listener and Client`,
      );
    }
    if (conn.closed) throw new TypeError(`${where}: cannot send a closed Connection to another process`);
    if (conn.reading) {
      throw new TypeError(`${where}: cannot send a Connection this process has already received from (messages may be buffered here); hand the end over before using it`);
    }
    if (outgoing.includes(conn)) throw new TypeError(`${where}: the same Connection appears twice in the arguments`);
    outgoing.push(conn);
    return { handle: outgoing.length - 1, readable: conn.readable, writable: conn.writable };
  },
  decode(marker) {
    const socket = incoming?.[marker.handle];
    if (socket === undefined) throw new TypeError("Cannot rebuild a Connection: its socket did not arrive with the arguments");
    socket.pause();
    return new Connection(socket, { readable: marker.readable, writable: marker.writable });
  },
});
