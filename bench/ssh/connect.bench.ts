/**
 * New connections per second (connect, key auth, `true`, close), 32 at a time: shoal against
 * asyncssh, same sshd (MaxStartups raised), same run.
 *
 *   node dist/bench/ssh/connect.bench.js [total] [concurrency]
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AutoAddPolicy, PKey, SSHClient } from "../../src/ssh/index.js";
import { startSshd } from "../../test/fixtures/sshd.js";
import { PYTHON } from "../python.js";

const run = promisify(execFile);
const total = Number(process.argv[2] ?? 256);
const concurrency = Number(process.argv[3] ?? 32);
const script = fileURLToPath(new URL("../../../bench/ssh/asyncssh_connect.py", import.meta.url));

const sshd = await startSshd({ maxStartups: 2000 });
try {
  // The key is parsed once, as a fleet tool would.
  const pkey = await PKey.fromPrivateKeyFile(sshd.keyPath);
  const one = async () => {
    await using client = new SSHClient();
    client.setMissingHostKeyPolicy(AutoAddPolicy);
    await client.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, pkey, allowAgent: false, lookForKeys: false });
    await client.run("true", { check: true });
  };
  const measure = async (n: number) => {
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) await one();
      }),
    );
    return n / ((performance.now() - start) / 1000);
  };
  await measure(concurrency); // warm up
  const shoal = await measure(total);
  const { stdout } = await run(PYTHON, [script, sshd.host, String(sshd.port), sshd.user, sshd.keyPath, String(total), String(concurrency)]);
  const asyncssh = Number(stdout.trim());
  console.log(
    `ssh new connections (connect, key auth, true, close), ${concurrency} at a time: shoal ${shoal.toFixed(0)}/s  asyncssh ${asyncssh.toFixed(0)}/s  ratio ${(shoal / asyncssh).toFixed(2)}x (goal >= 1x)`,
  );
} finally {
  await sshd.stop();
}
