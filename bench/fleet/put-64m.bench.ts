/**
 * `put` of one 64 MiB file to 20 hosts: shoal against parallel-scp (pssh's), same sshd, same file.
 * Goal: shoal's rate at least parallel-scp's.
 *
 *   node dist/bench/fleet/put-64m.bench.js [HOSTS] [MiB]
 */
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runShoal, startBed, timed } from "./common.js";

const HOSTS = Number(process.argv[2] ?? 20);
const MIB = Number(process.argv[3] ?? 64);
const bed = await startBed(HOSTS, 4000);
try {
  const local = join(bed.dir, "payload.bin");
  await writeFile(local, randomBytes(MIB * 1024 * 1024));
  // Every loopback "host" is this machine: each tool writes the same remote path, removed before each run.
  const remote = join(bed.sshd.workDir, "payload.bin");
  const total = HOSTS * MIB;

  await rm(remote, { force: true });
  const shoal = await runShoal(bed, ["put", "all", "-i", bed.inventory, "--json", local, remote]);
  const moved = shoal.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; result?: { files?: number; state: string } })
    .filter((e) => e.type === "done" && e.result?.state === "ok" && e.result.files === 1).length;

  await rm(remote, { force: true });
  const opts = ["-O", `Port=${bed.sshd.port}`, "-O", `IdentityFile=${bed.sshd.keyPath}`, "-O", "StrictHostKeyChecking=no", "-O", "UserKnownHostsFile=/dev/null", "-O", "LogLevel=ERROR", "-O", "KexAlgorithms=curve25519-sha256"];
  const pscp = await timed("parallel-scp", ["-h", bed.hostsFile, "-p", String(HOSTS), "-l", bed.sshd.user, "-t", "300", ...opts, local, remote]);
  const pscpOk = (pscp.stdout.match(/\[SUCCESS\]/g) ?? []).length;

  const rate = (ms: number) => (total / (ms / 1000)).toFixed(0);
  console.log(`  shoal ${(shoal.wallMs / 1000).toFixed(2)}s (${moved}/${HOSTS} copied), parallel-scp ${(pscp.wallMs / 1000).toFixed(2)}s (${pscpOk}/${HOSTS})`);
  console.log(
    `fleet put ${MIB} MiB to ${HOSTS} hosts: shoal ${rate(shoal.wallMs)} MiB/s  parallel-scp ${rate(pscp.wallMs)} MiB/s  ratio ${(pscp.wallMs / shoal.wallMs).toFixed(2)}x (goal >= 1x)`,
  );
} finally {
  await bed.stop();
}
