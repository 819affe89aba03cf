/**
 * paramiko's `window_size` and `max_packet_size` of a channel, on ssh2, which opens every channel
 * with a 2 MiB receive window and 32 KiB packets and tops the window up to 2 MiB only.
 *
 * The values go into the channel-open request itself (ssh2 builds it synchronously inside the call
 * that opens the channel, so that call runs with the protocol's `session` swapped for one that
 * sends ours), and the channel then keeps topping its window up to the chosen size. A window
 * smaller than ssh2's is refused: ssh2 would top it back up to 2 MiB on its own.
 */
import type { Client } from "ssh2";
import { describe } from "../internal/options.js";

/** The receive window ssh2 gives every channel (its `MAX_WINDOW`). */
export const SSH2_WINDOW = 2 * 1024 * 1024;
/** The largest packet data ssh2 asks for (its `PACKET_SIZE`); its parser takes nothing much larger. */
export const SSH2_MAX_PACKET = 32 * 1024;

export interface ChannelLimits {
  /** Bytes the server may send before we grant more: from 2 MiB (ssh2's) up. */
  windowSize?: number | undefined;
  /** Largest data per packet the server may send: 1 to 32768 bytes. */
  maxPacketSize?: number | undefined;
}

interface ProtocolWithSession {
  session(chan: number, initWindow: number, maxPacket: number): void;
}

interface ChannelInternals {
  incoming?: { window: number; packetSize: number };
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { channelWindowAdjust(id: number, amount: number): void } };
  _protocol?: { channelWindowAdjust(id: number, amount: number): void };
  push?: (data: Buffer) => boolean;
}

/** Checks the limits, naming the argument; the window may be larger than ssh2's, never smaller. */
export function checkChannelLimits(limits: ChannelLimits, where: string): void {
  const { windowSize, maxPacketSize } = limits;
  if (windowSize !== undefined && (!Number.isSafeInteger(windowSize) || windowSize < SSH2_WINDOW || windowSize > 0xffffffff)) {
    throw new RangeError(`${where}: windowSize must be an integer from ${SSH2_WINDOW} (2 MiB, ssh2's own window) to ${0xffffffff}: got ${describe(windowSize)}`);
  }
  if (maxPacketSize !== undefined && (!Number.isSafeInteger(maxPacketSize) || maxPacketSize < 1 || maxPacketSize > SSH2_MAX_PACKET)) {
    throw new RangeError(`${where}: maxPacketSize must be an integer from 1 to ${SSH2_MAX_PACKET}: got ${describe(maxPacketSize)}`);
  }
}

/**
 * Runs `open` (a call that opens one session channel: exec, shell, subsystem, sftp) so that the
 * channel-open request it sends carries these limits.
 */
export function openWithLimits<T>(client: Client, limits: ChannelLimits, open: () => T): T {
  if (limits.windowSize === undefined && limits.maxPacketSize === undefined) return open();
  const protocol = (client as unknown as { _protocol?: ProtocolWithSession })._protocol;
  if (!protocol || typeof protocol.session !== "function") return open();
  const session = protocol.session;
  protocol.session = (chan, initWindow, maxPacket) => session.call(protocol, chan, limits.windowSize ?? initWindow, limits.maxPacketSize ?? maxPacket);
  try {
    return open();
  } finally {
    protocol.session = session;
  }
}

/**
 * Once the channel is open: ssh2 counts the window it believes it granted (2 MiB) and the packet
 * size it asked for; make them the ones sent, and keep the window topped up to `windowSize`.
 * Call it synchronously in ssh2's open callback, before data can be counted against the window.
 */
export function applyLimits(channel: unknown, limits: ChannelLimits): void {
  const c = channel as ChannelInternals;
  if (!c.incoming) return;
  if (limits.maxPacketSize !== undefined) c.incoming.packetSize = limits.maxPacketSize;
  if (limits.windowSize !== undefined) {
    // Data already counted stays counted: add the difference rather than overwrite.
    c.incoming.window += limits.windowSize - SSH2_WINDOW;
    keepWindow(channel, limits.windowSize);
  }
}

/**
 * Keeps a channel's receive window topped up to `size` (ssh2 tops it up to 2 MiB only), granting
 * more whenever it falls under half; grants at once what it lacks now. Not while the reader lags
 * (`push` said stop): that is backpressure, and ssh2 grants again once the reader drains.
 */
export function keepWindow(channel: unknown, size: number): void {
  const c = channel as ChannelInternals;
  const protocol = c._protocol ?? c._client?._protocol;
  if (typeof c.push !== "function" || !c.incoming || !c.outgoing || !protocol) return;
  const incoming = c.incoming;
  const outgoing = c.outgoing;
  const adjust = () => {
    const amount = size - incoming.window;
    if (amount <= 0 || outgoing.state === "closed") return;
    incoming.window += amount;
    protocol.channelWindowAdjust(outgoing.id, amount);
  };
  adjust();
  const push = c.push.bind(channel);
  c.push = (data: Buffer) => {
    const result = push(data);
    if (result !== false && incoming.window < size / 2) adjust();
    return result;
  };
}
