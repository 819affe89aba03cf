/**
 * Caps the SSH handshakes in flight per server, so that sshd's MaxStartups (default `10:30:100`:
 * past 10 unauthenticated connections it starts dropping new ones) is never tripped, however many
 * forks run.
 *
 * "Server" is the sshd behind the names: hosts whose known_hosts entries expect the same host key
 * share a cap (one sshd answering on 500 loopback addresses is one server), and so do loopback
 * addresses on one port when known_hosts says nothing. When a server still drops
 * connections before its banner (a lower MaxStartups), its cap halves, and grows back by one per
 * successful handshake (AIMD, as TCP does).
 *
 * Without an explicit cap the gate also probes upward, as TCP's slow start does: a server that has
 * never dropped a connection gets one more handshake in flight per completed handshake, up to
 * `PROBE_HANDSHAKES_PER_SERVER`. A server with MaxStartups raised is then kept busy (eight
 * handshakes leave a two-core sshd partly idle between round trips), while the first drop of one
 * with the default `10:30:100` (dropping starts at 10) sets its ceiling back to the safe default
 * for the rest of the run; the dropped hosts are retried, so every host still completes.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";

export interface HandshakeSlot {
  /** Frees the slot: the handshake finished (or failed) and the server stopped counting it. */
  release(): void;
}

interface Server {
  limit: number;
  /** The highest the limit may grow: the probe ceiling until the server drops a connection. */
  ceiling: number;
  inFlight: number;
  waiters: (() => void)[];
  /** When the server last sent a banner (performance.now()), or -Infinity. */
  answeredAt: number;
  /** A handshake timed out with no banner from anyone meanwhile: hung, or a tarpit. See `timedOutWithoutBanner`. */
  silent: boolean;
}

/** Default handshakes in flight per server: under sshd's default MaxStartups start of 10, with margin. */
export const DEFAULT_HANDSHAKES_PER_SERVER = 8;

/** How far the default cap may grow on a server that never drops a connection. */
export const PROBE_HANDSHAKES_PER_SERVER = 64;

export class HandshakeGate {
  readonly #servers = new Map<string, Server>();
  readonly #max: number;
  readonly #probe: number;

  /**
   * `perServer` fixes the cap (no probing above it); without it each server starts at
   * `DEFAULT_HANDSHAKES_PER_SERVER` and probes upward until it drops a connection.
   */
  constructor(perServer?: number) {
    if (perServer !== undefined && (!Number.isInteger(perServer) || perServer < 1)) throw new RangeError(`HandshakeGate: perServer must be a positive integer: got ${perServer}`);
    this.#max = perServer ?? DEFAULT_HANDSHAKES_PER_SERVER;
    this.#probe = perServer ?? PROBE_HANDSHAKES_PER_SERVER;
  }

  /**
   * The key of the server a host's connection lands on. Names whose known_hosts entry expects the
   * same host key are one server (one sshd answering on many addresses, or aliases of one machine);
   * without that, every loopback address on a port is one machine's one sshd, and other hosts are
   * told apart by name and port.
   */
  static serverKey(hostname: string, port: number, expectedHostKey?: string): string {
    if (expectedHostKey) return `key:${port}:${createHash("sha256").update(expectedHostKey).digest("base64").slice(0, 16)}`;
    const loopback = hostname === "localhost" || (isIP(hostname) === 4 && hostname.startsWith("127.")) || hostname === "::1";
    return loopback ? `loopback:${port}` : `${hostname.toLowerCase()}:${port}`;
  }

  /** Waits for a slot on that server. Rejects with the signal's reason when it aborts first. */
  async acquire(key: string, signal?: AbortSignal): Promise<HandshakeSlot> {
    const s = this.#server(key);
    while (!s.silent && s.inFlight >= s.limit) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = s.waiters.indexOf(wake);
          if (i >= 0) s.waiters.splice(i, 1);
          reject(signal!.reason);
        };
        s.waiters.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    s.inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        s.inFlight--;
        this.#wake(s);
      },
    };
  }

  /** The server sent a banner: it is answering. */
  answered(key: string): void {
    const s = this.#server(key);
    s.answeredAt = performance.now();
    s.silent = false;
  }

  /**
   * A handshake that began at `since` (performance.now()) reached its connect timeout with no
   * banner. If the server has sent none to anyone since (it is hung, stopped, or a tarpit), it is
   * silent: the hosts waiting for it all start, and later ones do not wait, until it answers again.
   * Taking them 8 at a time, a banner grace each, added their connect timeouts up (50 hosts of a
   * stopped sshd took 8 s with a 2 s timeout). Only a whole connect timeout tells: a server whose
   * banners come slowly (past the grace) but surely answers someone meanwhile, and flooding it
   * would trip its MaxStartups.
   */
  timedOutWithoutBanner(key: string, since: number): void {
    const s = this.#server(key);
    if (s.silent || s.answeredAt >= since) return;
    s.silent = true;
    for (const wake of s.waiters.splice(0)) wake();
  }

  /** A handshake completed: the server can take one more at a time (up to its ceiling). */
  succeeded(key: string): void {
    const s = this.#server(key);
    if (s.limit < s.ceiling) {
      s.limit++;
      this.#wake(s);
    }
  }

  /** The server dropped a connection before its banner: halve its cap, and stop probing above the default. */
  dropped(key: string): void {
    const s = this.#server(key);
    s.silent = false;
    s.ceiling = this.#max;
    s.limit = Math.max(1, Math.min(this.#max, Math.floor(s.limit / 2)));
  }

  /** Current cap of a server (for tests and diagnostics). */
  limit(key: string): number {
    return this.#server(key).limit;
  }

  #server(key: string): Server {
    let s = this.#servers.get(key);
    if (!s) this.#servers.set(key, (s = { limit: this.#max, ceiling: this.#probe, inFlight: 0, waiters: [], answeredAt: -Infinity, silent: false }));
    return s;
  }

  #wake(s: Server): void {
    // Wake one waiter per free slot; each re-checks the cap when it runs.
    if (s.inFlight < s.limit) s.waiters.shift()?.();
  }
}
