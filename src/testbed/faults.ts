/**
 * Faults a testbed host can be told to show: the ways real hosts fail a fleet tool.
 */

/** What can go wrong with one host. Any combination may be set; `refuse` and `hang` win over the rest. */
export interface HostFaults {
  /** Nothing listens on the host's address: connections are refused (ECONNREFUSED). */
  refuse?: boolean;
  /** The host accepts TCP connections and never sends its SSH banner. */
  hang?: boolean;
  /** Every authentication attempt is rejected. */
  authFail?: boolean;
  /**
   * Sessions are cut mid-command: the connection is reset `dropAfter` milliseconds after a
   * command (or SFTP session) starts, before any exit status is sent.
   */
  drop?: boolean;
  /** Milliseconds after which a dropping host cuts the connection (default 100). */
  dropAfter?: number;
  /** Milliseconds added to every packet the host sends, so to every round trip. */
  latency?: number;
  /** The host's bandwidth, in megabytes (10^6 bytes) per second, each way. */
  slow?: number;
}

/** The fault names as the command line spells them. */
export const FAULT_KINDS = ["refuse", "hang", "auth-fail", "drop"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Sets one named fault on a host's fault set. */
export function withFault(faults: HostFaults, kind: FaultKind): HostFaults {
  switch (kind) {
    case "refuse":
      return { ...faults, refuse: true };
    case "hang":
      return { ...faults, hang: true };
    case "auth-fail":
      return { ...faults, authFail: true };
    case "drop":
      return { ...faults, drop: true };
  }
}

/** The fault names set on a host, for inventories and listings (`["hang"]`, `["latency 50ms"]`). */
export function describeFaults(faults: HostFaults): string[] {
  const out: string[] = [];
  if (faults.refuse) out.push("refuse");
  if (faults.hang) out.push("hang");
  if (faults.authFail) out.push("auth-fail");
  if (faults.drop) out.push("drop");
  if (faults.latency) out.push(`latency ${faults.latency}ms`);
  if (faults.slow) out.push(`slow ${faults.slow}MB/s`);
  return out;
}

/** A seeded pseudo-random generator (mulberry32): the same seed picks the same faulty hosts. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Picks `count` distinct indexes out of `size`, avoiding `taken`, with the generator given.
 * Throws when there are not enough free hosts.
 */
export function pickIndexes(size: number, count: number, taken: ReadonlySet<number>, random: () => number): number[] {
  const free: number[] = [];
  for (let i = 0; i < size; i++) if (!taken.has(i)) free.push(i);
  if (count > free.length) {
    throw new RangeError(`Cannot pick ${count} faulty hosts: only ${free.length} hosts are free of other faults`);
  }
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (free.length - i));
    [free[i], free[j]] = [free[j]!, free[i]!];
  }
  return free.slice(0, count).sort((a, b) => a - b);
}
