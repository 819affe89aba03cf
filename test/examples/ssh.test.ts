/**
 * The lesson's paramiko examples (examples/ssh/), run as programs against the test sshd.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";
import { runExample, type ExampleRun } from "./run-example.js";

let sshd: Sshd;
before(async () => {
  sshd = await startSshd();
});
after(() => sshd?.stop());

function run(name: string, env: NodeJS.ProcessEnv): Promise<ExampleRun> {
  return runExample("ssh", name, env);
}

function hostEnv(): NodeJS.ProcessEnv {
  return { SHOAL_SSH_HOST: sshd.host, SHOAL_SSH_PORT: String(sshd.port), SHOAL_SSH_USER: sshd.user, SHOAL_SSH_PASSWORD: sshd.password };
}

test("ssh-client: exec 'df' and print its output", async () => {
  const { stdout, code } = await run("ssh-client", hostEnv());
  assert.equal(code, 0);
  assert.match(stdout, /^Filesystem\s+1K-blocks\s+Used\s+Available/);
});

test("sftp-transport: Transport + SFTPClient.fromTransport put and get", async () => {
  const local = path.join(sshd.dir, "location.py");
  await writeFile(local, "print('hello from the lesson')\n");
  const remote = path.join(sshd.workDir, "test.py");
  const back = path.join(sshd.dir, "back.py");
  const { stdout, code } = await run("sftp-transport", {
    ...hostEnv(),
    SHOAL_SFTP_LOCAL: local,
    SHOAL_SFTP_REMOTE: remote,
    SHOAL_SFTP_GET_REMOTE: remote,
    SHOAL_SFTP_GET_LOCAL: back,
  });
  assert.equal(code, 0);
  assert.equal(stdout, "put and get done\n");
  assert.equal(await readFile(remote, "utf8"), "print('hello from the lesson')\n");
  assert.equal(await readFile(back, "utf8"), "print('hello from the lesson')\n");
});
