import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { runProcess } from "../fixtures/run-process.js";

const SSH = "/usr/bin/ssh";
const SFTP = "/usr/bin/sftp";
const missing = !existsSync(SSH) || !existsSync(SFTP);
if (missing && process.env["CI"] === "true") throw new Error("OpenSSH's ssh and sftp clients are missing: install openssh-client");
if (missing) console.error("testbed/openssh.test: OpenSSH's ssh client is missing; these tests are SKIPPED");

function run(file: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess(file, args, { input }).then(({ status, stdout, stderr }) => ({ code: status, stdout, stderr }));
}

function sshOptions(testbed: Testbed, knownHosts = testbed.knownHostsFile): string[] {
  return [
    "-F", "/dev/null",
    "-i", testbed.identityFile,
    "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    "-o", "IdentitiesOnly=yes",
    "-o", "ConnectTimeout=5",
  ];
}

const target = (host: TestbedHost) => `${host.user}@${host.address}`;

test("OpenSSH's ssh logs in with the generated key and known_hosts, strictly checked", { skip: missing }, async (t) => {
  const testbed = await startTestbed({ hosts: 3 });
  t.after(() => testbed.stop());
  for (const host of testbed.hosts) {
    const result = await run(SSH, [...sshOptions(testbed), "-p", String(host.port), target(host), "hostname; cat; exit 5"], "from stdin\n");
    assert.equal(result.stdout, `${host.name}\nfrom stdin\n`, result.stderr);
    assert.equal(result.code, 5);
  }
  // A known_hosts holding another host's key for this address: strict checking refuses it.
  const [a, b] = testbed.hosts as [TestbedHost, TestbedHost];
  const wrong = join(testbed.dir, "wrong_known_hosts");
  await writeFile(wrong, `[${a.address}]:${a.port} ${b.hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  const refused = await run(SSH, [...sshOptions(testbed, wrong), "-p", String(a.port), target(a), "true"]);
  assert.equal(refused.code, 255);
  assert.match(refused.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
});

test("OpenSSH's sftp puts and gets files", { skip: missing }, async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  const local = await mkdtemp(join(tmpdir(), "shoal-openssh-test-"));
  t.after(async () => {
    await testbed.stop();
    await rm(local, { recursive: true, force: true });
  });
  const host = testbed.hosts[0]!;
  const data = randomBytes(1024 * 1024 + 3);
  await writeFile(join(local, "up.bin"), data);
  const batch = [`put ${join(local, "up.bin")} up.bin`, "mkdir d", "rename up.bin d/moved.bin", `get d/moved.bin ${join(local, "down.bin")}`, "ls -l d"].join("\n");
  const result = await run(SFTP, [...sshOptions(testbed), "-P", String(host.port), "-b", "-", target(host)], batch + "\n");
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await readFile(join(host.dir, "d", "moved.bin")), data);
  assert.deepEqual(await readFile(join(local, "down.bin")), data);
  assert.match(result.stdout, /moved\.bin/);
});
