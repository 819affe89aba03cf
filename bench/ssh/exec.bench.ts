/**
 * Commands on one open connection, one after another (channel open + `true` + exit status):
 * shoal's SSHClient.run against paramiko, same sshd, same run.
 *
 *   node dist/bench/ssh/exec.bench.js [count]
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AutoAddPolicy, SSHClient } from "../../src/ssh/index.js";
import { startSshd } from "../../test/fixtures/sshd.js";
import { PYTHON } from "../python.js";

const run = promisify(execFile);
const count = Number(process.argv[2] ?? 300);
const script = fileURLToPath(new URL("../../../bench/ssh/paramiko_exec.py", import.meta.url));

const sshd = await startSshd({ maxSessions: 100 });
try {
  const client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
  for (let i = 0; i < 20; i++) await client.run("true"); // warm up
  const start = performance.now();
  for (let i = 0; i < count; i++) await client.run("true");
  const shoal = count / ((performance.now() - start) / 1000);
  await client.close();

  const { stdout } = await run(PYTHON, [script, sshd.host, String(sshd.port), sshd.user, sshd.keyPath, String(count)]);
  const paramiko = Number(stdout.trim());
  console.log(
    `ssh commands on one connection, one after another: shoal ${shoal.toFixed(0)}/s  paramiko ${paramiko.toFixed(0)}/s  ratio ${(shoal / paramiko).toFixed(2)}x (goal >= 1x)`,
  );
} finally {
  await sshd.stop();
}
