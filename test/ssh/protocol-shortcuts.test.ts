/**
 * What shoal's clients ask of sshd on a connection, read from sshd's own debug log: the public key
 * is offered signed at once (no "would this key do?" query first), and the host keys sshd announces
 * after login are not made to be proven (a signature per host key for sshd on every connection).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { AutoAddPolicy, SSHClient } from "../../src/ssh/index.js";
import { Fleet } from "../../src/fleet/fleet.js";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";
import { knownHostsFor, sshdHosts } from "../fleet/helpers.js";

let sshd: Sshd;
let dir: string;

before(async () => {
  // Two host key types: sshd announces both after login, and a proof would cost it two signatures.
  sshd = await startSshd({ listenAll: true, hostKeyTypes: ["ed25519", "ecdsa"], extraConfig: ["LogLevel DEBUG1"] });
  dir = await mkdtemp(join(tmpdir(), "shoal-shortcuts-"));
});
after(async () => {
  await sshd?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The end of a connection in sshd's log (which line depends on who closed first). */
const CONNECTION_END = /Disconnected from user|Close session:|Connection closed by|Connection reset by/;

/** sshd's log lines written while `work` ran, once sshd has logged the end of the connection. */
async function logOf(work: () => Promise<void>): Promise<string> {
  const path = join(sshd.dir, "sshd.log");
  const before = (await readFile(path, "utf8")).length;
  await work();
  // sshd logs after the client has gone: poll for it, for at most 10 s (then assert on what is there).
  const deadline = performance.now() + 10_000;
  for (;;) {
    const text = (await readFile(path, "utf8")).slice(before);
    if (CONNECTION_END.test(text) || performance.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function assertShortcuts(log: string): void {
  assert.match(log, /Accepted publickey for /);
  assert.match(log, /Entering interactive session/, "the session was established");
  assert.doesNotMatch(log, /hostkeys-prove-00@openssh\.com/, "no host-key proof was asked for");
  // A query-then-sign login makes sshd look the key up twice ("matching key found" twice).
  assert.equal(log.match(/matching key found/g)?.length, 1, "the key was offered signed, once");
}

test("SSHClient logs in with one signed request and asks no host-key proofs", async () => {
  const log = await logOf(async () => {
    const client = new SSHClient();
    client.setMissingHostKeyPolicy(new AutoAddPolicy());
    await client.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
    try {
      assert.equal((await client.run("true")).exitStatus, 0);
    } finally {
      await client.close();
    }
  });
  assertShortcuts(log);
});

test("a fleet run logs in with one signed request and asks no host-key proofs", async () => {
  const knownHosts = await knownHostsFor(sshd, dir);
  const log = await logOf(async () => {
    await using fleet = new Fleet(sshdHosts(sshd, 1), { knownHosts, sshConfig: false, agent: false, connectTimeout: 10_000 });
    const [result] = await fleet.run("true").results();
    assert.equal(result?.state, "ok");
  });
  assertShortcuts(log);
});
