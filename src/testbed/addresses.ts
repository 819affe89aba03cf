/**
 * Loopback addresses for testbed hosts: every 127.0.0.0/8 address is local on Linux, so each
 * host can have an address of its own without any network setup.
 */
import { isIPv4 } from "node:net";

/** The `index`-th address after `first` (index 0 is `first`), skipping .0 and .255 in the last byte. */
export function loopbackAddress(first: string, index: number): string {
  const start = parseLoopback(first);
  // Count in a base-254 last byte (1..254) so no host lands on a network or broadcast-looking address.
  const lastByte = start & 0xff;
  const offset = lastByte - 1 + index;
  const high = (start >>> 8) + Math.floor(offset / 254);
  const low = (offset % 254) + 1;
  if (high >>> 16 !== 127) throw new RangeError(`Cannot place host ${index + 1}: it would fall outside 127.0.0.0/8`);
  const value = (high << 8) | low;
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

/** Whether a peer address (as a socket reports it) is a loopback address. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith("127.");
  return address === "::1";
}

function parseLoopback(address: string): number {
  if (!isIPv4(address) || !address.startsWith("127.")) {
    throw new TypeError(`Testbed address must be an IPv4 loopback address (127.x.y.z): got ${JSON.stringify(address)}`);
  }
  const [a, b, c, d] = address.split(".").map(Number) as [number, number, number, number];
  if (d === 0 || d === 255) throw new RangeError(`Testbed address must not end in .0 or .255: got ${address}`);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}
