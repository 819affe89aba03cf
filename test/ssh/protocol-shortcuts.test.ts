/**
 * What shoal's clients ask of sshd on a connection, read from sshd's own debug log: the public key
 * is offered signed at once (no "would this key do?" query first), the host keys sshd announces
 * after login are not made to be proven (a signature per host key for sshd on every connection),
 * and the key exchange is ECDH on P-256, which sshd computes with OpenSSL, rather than curve25519,
 * which it computes with slow reference code; other servers keep curve25519.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { AutoAddPolicy, SSHClient, Transport } from "../../src/ssh/index.js";
import { startTestbed } from "../../src/testbed/index.js";
import { Fleet } from "../../src/fleet/fleet.js";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";
import { knownHostsFor, sshdHosts } from "../fleet/helpers.js";
import { droppedHostKeyAnnouncements, isUnansweredHostKeys } from "../../src/ssh/protocol-shortcuts.js";

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
  assert.match(log, /kex: algorithm: ecdh-sha2-nistp256/, "P-256 ECDH, not sshd's reference curve25519");
}

test("SSHClient logs in with one signed request and asks no host-key proofs", async () => {
  const dropped = droppedHostKeyAnnouncements();
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
  assert.equal(droppedHostKeyAnnouncements(), dropped + 1, "sshd's host-key announcement was dropped before ssh2 parsed its keys");
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

test("the kex order moves only for OpenSSH, and a kex list the caller gives keeps its order", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const host = testbed.hosts[0]!;
  // The testbed is ssh2's server, not OpenSSH: curve25519 stays first.
  await using other = new Transport([host.address, host.port]);
  await other.connect({ username: host.user, password: host.password });
  assert.match(other.getSecurityOptions()?.kex ?? "", /^curve25519-sha256/);
  await using chosen = new Transport([sshd.host, sshd.port], { algorithms: { kex: ["curve25519-sha256", "ecdh-sha2-nistp256"] } });
  await chosen.connect({ username: sshd.user, password: sshd.password });
  assert.equal(chosen.getSecurityOptions()?.kex, "curve25519-sha256");
  await using chosenByUs = new Transport([sshd.host, sshd.port]);
  await chosenByUs.connect({ username: sshd.user, password: sshd.password });
  assert.equal(chosenByUs.getSecurityOptions()?.kex, "ecdh-sha2-nistp256");
});

test("only an unanswered hostkeys-00 announcement is dropped before ssh2 parses it", () => {
  const request = (name: string, wantReply: boolean, rest = Buffer.alloc(0)): Buffer => {
    const n = Buffer.from(name);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(n.length);
    return Buffer.concat([Buffer.from([80]), length, n, Buffer.from([wantReply ? 1 : 0]), rest]);
  };
  const key = Buffer.from("0000000b7373682d65643235353139", "hex");
  assert.equal(isUnansweredHostKeys(request("hostkeys-00@openssh.com", false, key)), true);
  assert.equal(isUnansweredHostKeys(request("hostkeys-00@openssh.com", true, key)), false, "one asking for a reply is answered");
  assert.equal(isUnansweredHostKeys(request("keepalive@openssh.com", false)), false);
  assert.equal(isUnansweredHostKeys(request("hostkeys-00@openssh.cox", false, key)), false);
  assert.equal(isUnansweredHostKeys(request("hostkeys-00@openssh.com", false).subarray(0, 20)), false, "a truncated message goes to ssh2, which reports it");
});
