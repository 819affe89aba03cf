/**
 * What the fleet benchmarks share: one OpenSSH sshd answering on many loopback addresses (the test
 * fixture's dedicated user with a fast shell), the host lists, and runners for shoal and each anchor
 * (paramiko with threads, asyncssh, pssh, pdsh, clush, parallel-scp), timed the same way.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSshd } from "../../test/fixtures/sshd.js";
import type { Sshd } from "../../test/fixtures/sshd.js";
import { PYTHON } from "../python.js";

export const SHOAL = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));
export const ANCHORS_PY = fileURLToPath(new URL("../../../bench/fleet/anchors.py", import.meta.url));

export interface Bed {
  sshd: Sshd;
  dir: string;
  hostsFile: string;
  hosts: string[];
  inventory: string;
  sshOptions: string[];
  stop(): Promise<void>;
}

export function loopback(i: number): string {
  return `127.0.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`;
}

/** One sshd for `count` loopback hosts; `maxStartups` undefined keeps sshd's default 10:30:100. */
export async function startBed(count: number, maxStartups?: number): Promise<Bed> {
  const sshd = await startSshd({ listenAll: true, ...(maxStartups === undefined ? {} : { maxStartups }), maxSessions: 10 });
  const dir = await mkdtemp(join(tmpdir(), "shoal-bench-"));
  const hosts = Array.from({ length: count }, (_, i) => loopback(i));
  const hostsFile = join(dir, "hosts");
  await writeFile(hostsFile, hosts.join("\n") + "\n");
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `[127.0.*]:${sshd.port} ${sshd.hostPublicKeys[0]}\n`);
  const inventory = join(dir, "shoal.yml");
  await writeFile(
    inventory,
    `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath}, known_hosts: ${knownHosts} }\nhosts:\n${hosts.map((h) => `  - ${h}`).join("\n")}\n`,
  );
  // The OpenSSH-based anchors get the cheapest key exchange for this sshd, as shoal picks it against
  // OpenSSH (9.2's default sntrup761 costs ~100 ms of CPU per connection, and sshd's curve25519 is
  // slow reference code), so that they are measured at their best.
  const sshOptions = [
    "-p", String(sshd.port), "-i", sshd.keyPath, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "KexAlgorithms=ecdh-sha2-nistp256", "-o", "ConnectTimeout=30",
  ];
  return {
    sshd,
    dir,
    hostsFile,
    hosts,
    inventory,
    sshOptions,
    stop: async () => {
      await sshd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Measured {
  name: string;
  wallMs: number;
  ok: number;
  /** The machine's CPU time during the run (every core, sshd's included), in ms. */
  busyMs?: number | undefined;
  /** Peak RSS in KiB (shoal only: its whole process tree is the one node process). */
  peakRssKiB?: number;
  stdout: string;
  stderr: string;
}

/** The run with the median wall time (the lower middle one of an even count). */
export function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The machine's busy CPU time so far, in ms (every core, every process: sshd's forks, and the
 * orphans init reaps, which no process's own times count), from /proc/stat; undefined elsewhere.
 */
function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: Linux reports /proc/stat in hundredths of a second on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** Runs a command line, timing it from spawn to exit, and the machine's CPU meanwhile. */
export function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ wallMs: number; busyMs: number | undefined; status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const busy0 = machineBusyMs();
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => {
      const wallMs = performance.now() - t0;
      const busy1 = machineBusyMs();
      resolve({ wallMs, busyMs: busy0 === undefined || busy1 === undefined ? undefined : busy1 - busy0, status, stdout, stderr });
    });
  });
}

/** shoal's CLI under /usr/bin/time, for its peak RSS: the bin itself, started through its #! line as a user starts it. */
export async function runShoal(bed: Bed, args: string[]): Promise<Measured> {
  const rssFile = join(bed.dir, "rss");
  const r = await timed("/usr/bin/time", ["-f", "%M", "-o", rssFile, SHOAL, ...args], { NO_COLOR: "1", SHOAL_STATE_DIR: join(bed.dir, "state") });
  const ok = Number(/: ok (\d+)/.exec(r.stderr)?.[1] ?? "0");
  const peakRssKiB = Number((await readFile(rssFile, "utf8")).trim().split("\n").pop());
  return { name: "shoal", wallMs: r.wallMs, busyMs: r.busyMs, ok, peakRssKiB, stdout: r.stdout, stderr: r.stderr };
}

export async function runPython(bed: Bed, mode: "paramiko" | "asyncssh", command: string, forks = 64, hostsFile = bed.hostsFile, options: { p256?: boolean } = {}): Promise<Measured> {
  const r = await timed(PYTHON, [ANCHORS_PY, mode, hostsFile, String(bed.sshd.port), bed.sshd.user, bed.sshd.keyPath, String(forks), command, ...(options.p256 ? ["--p256"] : [])]);
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  let ok = 0;
  try {
    ok = (JSON.parse(line) as { ok: number }).ok;
  } catch {
    /* a crash counts as nothing done */
  }
  return { name: `${mode === "paramiko" ? "paramiko+threads" : "asyncssh"}${options.p256 ? " (P-256 kex)" : ""}`, wallMs: r.wallMs, busyMs: r.busyMs, ok, stdout: r.stdout, stderr: r.stderr };
}

export async function runPssh(bed: Bed, command: string, forks = 64, hostsFile = bed.hostsFile): Promise<Measured> {
  const opts = toOptions(bed.sshOptions);
  const r = await timed("parallel-ssh", ["-h", hostsFile, "-p", String(forks), "-l", bed.sshd.user, "-t", "60", ...opts.flatMap((o) => ["-O", o]), command]);
  return { name: "pssh", wallMs: r.wallMs, busyMs: r.busyMs, ok: (r.stdout.match(/\[SUCCESS\]/g) ?? []).length, stdout: r.stdout, stderr: r.stderr };
}

export async function runPdsh(bed: Bed, command: string, forks = 64, hosts = bed.hosts, gather = false): Promise<Measured> {
  const args = [...bed.sshOptions, "-l%u", "%h"].join(" ");
  const r = await timed("/bin/sh", ["-c", `pdsh -R ssh -f ${forks} -l ${bed.sshd.user} -w ^${bed.hostsFile.replace(/hosts$/, "")}${hosts === bed.hosts ? "hosts" : "hosts-sub"} ${shq(command)}${gather ? " | dshbak -c" : ""}`], {
    PDSH_SSH_ARGS: args,
  });
  const failures = new Set((r.stderr.match(/^pdsh@[^:]+: ([^:]+): /gm) ?? []).map((l) => l.split(": ")[1]));
  return { name: "pdsh", wallMs: r.wallMs, busyMs: r.busyMs, ok: hosts.length - failures.size, stdout: r.stdout, stderr: r.stderr };
}

export async function runClush(bed: Bed, command: string, forks = 64, hostsFile = bed.hostsFile, gather = false): Promise<Measured> {
  const hostCount = (await readFile(hostsFile, "utf8")).trim().split("\n").length;
  const r = await timed("clush", ["-f", String(forks), "-l", bed.sshd.user, "-t", "30", "-o", bed.sshOptions.join(" "), "--hostfile", hostsFile, ...(gather ? ["-b"] : []), command]);
  const failures = (r.stderr.match(/exited with exit code|Connection refused|closed by remote|Connection reset/g) ?? []).length;
  return { name: "clush", wallMs: r.wallMs, busyMs: r.busyMs, ok: hostCount - failures, stdout: r.stdout, stderr: r.stderr };
}

function toOptions(sshArgs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < sshArgs.length; i += 2) {
    const [flag, value] = [sshArgs[i]!, sshArgs[i + 1]!];
    if (flag === "-o") out.push(value);
    else if (flag === "-p") out.push(`Port=${value}`);
    else if (flag === "-i") out.push(`IdentityFile=${value}`);
  }
  return out;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `name 5.21s (500/500 ok, machine CPU 9.8s)`, for the result lines. */
export function describe(m: Measured, total: number): string {
  return `${m.name} ${(m.wallMs / 1000).toFixed(2)}s (${m.ok}/${total} ok${m.busyMs === undefined ? "" : `, machine CPU ${(m.busyMs / 1000).toFixed(2)}s`})`;
}

/** The median of the runs' machine CPU, when measured. */
export function medianBusy(runs: Measured[]): number | undefined {
  const busy = runs.map((m) => m.busyMs).filter((b): b is number => b !== undefined).sort((a, b) => a - b);
  return busy.length ? busy[Math.floor((busy.length - 1) / 2)] : undefined;
}

/**
 * What the CPU alone allows: on a machine the run keeps busy, wall time cannot go below the
 * machine's CPU time over its cores, so shoal's ratio to an anchor cannot go far below the ratio
 * of their machine CPU (sshd's share is the same for both). Printed beside the measured ratio.
 */
export function cpuFloor(shoal: Measured[], anchor: Measured[]): string {
  const a = medianBusy(shoal);
  const b = medianBusy(anchor);
  return a === undefined || b === undefined ? "" : `; machine CPU, shoal/anchor: ${(a / b).toFixed(2)}x (medians ${(a / 1000).toFixed(2)}s / ${(b / 1000).toFixed(2)}s)`;
}

/**
 * Each round's own ratio of shoal to the fastest anchor, when that anchor ran every round. A round
 * runs the tools back to back: its ratio leaves out the machine's drift from one round to the next
 * (its speed moves by a fifth within minutes). Undefined when the fastest ran once.
 */
export function perRoundRatios(runs: Record<string, Measured[]>, fastest: Measured): string | undefined {
  const name = Object.keys(runs).find((k) => k !== "shoal" && median(runs[k]!) === fastest);
  const shoal = runs["shoal"];
  if (!name || !shoal || runs[name]!.length !== shoal.length) return undefined;
  const ratios = shoal.map((m, i) => m.wallMs / runs[name]![i]!.wallMs);
  const sorted = [...ratios].sort((a, b) => a - b);
  return `  per-round ratios against ${name}: ${ratios.map((r) => r.toFixed(2)).join(" ")} (median ${sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(2)})`;
}

/** Runs every tool once per round, in order, for `rounds` rounds: each tool's runs, by name. */
export async function runRounds(tools: Record<string, () => Promise<Measured>>, rounds: number): Promise<Record<string, Measured[]>> {
  const runs: Record<string, Measured[]> = Object.fromEntries(Object.keys(tools).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) for (const [name, run] of Object.entries(tools)) runs[name]!.push(await run());
  return runs;
}
