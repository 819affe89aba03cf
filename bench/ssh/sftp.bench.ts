/**
 * SFTP put and get of one 256 MiB file on loopback: shoal against OpenSSH's `sftp -b` and `scp`
 * (and ssh2's fastPut/fastGet as a baseline), same sshd, same run.
 *
 *   node dist/bench/ssh/sftp.bench.js [sizeMiB] [rounds]
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AutoAddPolicy, SSHClient } from "../../src/ssh/index.js";
import { startSshd } from "../../test/fixtures/sshd.js";

const run = promisify(execFile);
const sizeMiB = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 3);
const size = sizeMiB * 1024 * 1024;

const sshd = await startSshd();
const localDir = await mkdtemp(path.join(tmpdir(), "shoal-bench-sftp-"));
try {
  const source = path.join(localDir, "source.bin");
  // Random data: a filesystem or cipher cannot shortcut it.
  const file = await open(source, "w");
  const block = randomBytes(16 * 1024 * 1024);
  for (let written = 0; written < size; written += block.length) await file.write(block, 0, Math.min(block.length, size - written));
  await file.close();
  const remote = path.join(sshd.workDir, "target.bin");
  const back = path.join(localDir, "back.bin");

  const sshOptions = ["-i", sshd.keyPath, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"];
  const target = `${sshd.user}@${sshd.host}`;
  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await fn();
    return (performance.now() - start) / 1000;
  };

  const batch = path.join(localDir, "batch");
  const sftpB = async (command: string) => {
    await writeFile(batch, `${command}\n`);
    await run("sftp", [...sshOptions, "-P", String(sshd.port), "-b", batch, target]);
  };
  const client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
  const sftp = await client.openSftp();

  // The machine is shared: interleave the contenders round by round and keep each one's best round.
  const contenders: Record<string, () => Promise<unknown>> = {
    "shoal put": () => sftp.put(source, remote),
    "sftp -b put": () => sftpB(`put ${source} ${remote}`),
    "scp put": () => run("scp", [...sshOptions, "-P", String(sshd.port), source, `${target}:${remote}`]),
    "fastPut": () => new Promise<void>((resolve, reject) => sftp.sftp.fastPut(source, remote, (e) => (e ? reject(e) : resolve()))),
    "shoal get": () => sftp.get(remote, back),
    "sftp -b get": () => sftpB(`get ${remote} ${back}`),
    "scp get": () => run("scp", [...sshOptions, "-P", String(sshd.port), `${target}:${remote}`, back]),
    "fastGet": () => new Promise<void>((resolve, reject) => sftp.sftp.fastGet(remote, back, (e) => (e ? reject(e) : resolve()))),
  };
  const bestRate: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const seconds = await time(fn);
      bestRate[name] = Math.max(bestRate[name] ?? 0, size / 1e6 / seconds);
    }
  }
  await client.close();
  const shoalUp = bestRate["shoal put"]!;
  const shoalDown = bestRate["shoal get"]!;
  const sftpUp = bestRate["sftp -b put"]!;
  const sftpDown = bestRate["sftp -b get"]!;
  const scpUp = bestRate["scp put"]!;
  const scpDown = bestRate["scp get"]!;
  const fastPut = bestRate["fastPut"]!;
  const fastGet = bestRate["fastGet"]!;

  const mb = (x: number) => `${x.toFixed(0)} MB/s`;
  const line = (what: string, shoal: number, anchor: string, value: number, goal: number) =>
    console.log(`${what}: shoal ${mb(shoal)}  ${anchor} ${mb(value)}  ratio ${(shoal / value).toFixed(2)}x (goal >= ${goal}x)`);
  console.log(`# ${sizeMiB} MiB file, loopback; ssh2 fastPut ${mb(fastPut)}, fastGet ${mb(fastGet)} (baseline)`);
  line("sftp put", shoalUp, "sftp -b", sftpUp, 1.2);
  line("sftp put", shoalUp, "scp", scpUp, 1.0);
  line("sftp get", shoalDown, "sftp -b", sftpDown, 1.2);
  line("sftp get", shoalDown, "scp", scpDown, 1.0);
} finally {
  await sshd.stop();
  await rm(localDir, { recursive: true, force: true });
}
