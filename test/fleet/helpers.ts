/** Shared by the fleet tests: loopback hosts on one sshd, and a known_hosts file for them. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sshd } from "../fixtures/sshd.js";
import { adHocHost } from "../../src/fleet/host.js";
import type { Host } from "../../src/fleet/host.js";

/** The i-th loopback "host" (127.0.1.1 … 127.0.1.254, then 127.0.2.1 …). */
export function loopback(i: number): string {
  return `127.0.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`;
}

/** `n` hosts, all answered by one sshd bound to 0.0.0.0. */
export function sshdHosts(sshd: Sshd, n: number, first = 0): Host[] {
  return Array.from({ length: n }, (_, i) => adHocHost(loopback(first + i), { port: sshd.port, user: sshd.user, identity_file: sshd.keyPath }));
}

/** A known_hosts file trusting the sshd's key on every loopback address of its port. */
export async function knownHostsFor(sshd: Sshd, dir: string): Promise<string> {
  const path = join(dir, "known_hosts");
  await writeFile(path, `[127.0.*]:${sshd.port} ${sshd.hostPublicKeys[0]}\n`);
  return path;
}
