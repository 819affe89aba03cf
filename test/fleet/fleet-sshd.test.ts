/**
 * The runner against OpenSSH's real sshd answering on many loopback addresses (127.0.1.x).
 */
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { connect as connectTcp, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSshd } from "../fixtures/sshd.js";
import { startSshAgent } from "../fixtures/ssh-agent.js";
import { Fleet } from "../../src/fleet/fleet.js";
import type { FleetEvent, HostResult, OutputEvent } from "../../src/fleet/events.js";
import { exitStatusOf } from "../../src/fleet/summary.js";
import { adHocHost } from "../../src/fleet/host.js";
import { knownHostsFor, loopback, sshdHosts } from "./helpers.js";

const sshd = await startSshd({ listenAll: true, maxStartups: 1000 });
const dir = await mkdtemp(join(tmpdir(), "shoal-fleet-"));
const knownHosts = await knownHostsFor(sshd, dir);
const base = { knownHosts, sshConfig: false as const, agent: false as const, connectTimeout: 10_000 };
test.after(async () => {
  await sshd.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Whether no process on this machine (where sshd runs the commands) has `marker` in its command
 * line, within a bound: a remote command that was stopped has gone, one that was not lingers.
 */
async function goneWithin(marker: string, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (spawnSync("pgrep", ["-f", marker]).status === 1) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Prints the address the client connected to: each loopback "host" answers with its own. */
const WHOAMI = 'set -- $SSH_CONNECTION; echo "$3"';

test("run: every host answers with its own output, and ends with exactly one done", async () => {
  const hosts = sshdHosts(sshd, 30);
  await using fleet = new Fleet(hosts, base);
  const events: FleetEvent[] = [];
  for await (const ev of fleet.run(WHOAMI)) events.push(ev);
  const done = events.filter((e) => e.type === "done");
  assert.equal(done.length, 30);
  assert.equal(new Set(done.map((e) => e.host)).size, 30);
  for (const h of hosts) {
    const mine = events.filter((e) => e.host === h.name).map((e) => e.type);
    assert.deepEqual([mine[0], mine[1], mine[2]], ["queued", "connecting", "connected"]);
    assert.equal(mine[mine.length - 1], "done");
    const out = events.filter((e): e is OutputEvent => e.type === "stdout" && e.host === h.name).map((e) => e.data).join("");
    assert.equal(out, `${h.name}\n`);
  }
  const results = done.map((e) => (e as Extract<FleetEvent, { type: "done" }>).result);
  assert.ok(results.every((r) => r.state === "ok" && r.exitStatus === 0 && r.stdout === `${r.host}\n`));
});

test("run: non-zero exits are 'failed' with their status; stderr is kept apart", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 6), base);
  const results = await fleet.run(`${WHOAMI} >&2; case "$3" in 127.0.1.[24]) exit 3;; esac`).results();
  const byHost = new Map(results.map((r) => [r.host, r]));
  assert.equal(byHost.get("127.0.1.2")!.state, "failed");
  assert.equal(byHost.get("127.0.1.2")!.exitStatus, 3);
  assert.equal(byHost.get("127.0.1.2")!.reason, "exit 3");
  assert.equal(byHost.get("127.0.1.1")!.state, "ok");
  assert.equal(byHost.get("127.0.1.1")!.stderr, "127.0.1.1\n");
  assert.equal(byHost.get("127.0.1.1")!.stdout, "");
  assert.equal(exitStatusOf(results), 1);
});

test("run: the command timeout is per host and never adds up; it stops the commands", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 20), { ...base, forks: 20 });
  const t0 = performance.now();
  const marker = `sleep 30.${process.pid}1`;
  const results = await fleet.run(marker, { timeout: 400 }).results();
  const elapsed = performance.now() - t0;
  assert.ok(await goneWithin(marker, 10_000), "the remote commands were stopped, not left running");
  assert.ok(results.every((r) => r.state === "timeout" && r.kind === "timeout"), JSON.stringify(results[0]));
  assert.match(results[0]!.reason!, /command timed out after 400ms/);
  assert.ok(elapsed < 4000, `took ${elapsed} ms`);
  assert.equal(exitStatusOf(results), 2);
});

test("run: megabytes on stderr are kept whole too (ssh2 closes the channel when stdout ends, with stderr still buffered)", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 3, 95), base);
  const results = await fleet.run("seq 1 300000 >&2").results();
  for (const r of results) {
    assert.equal(r.state, "ok");
    const lines = r.stderr!.split("\n");
    assert.equal(lines.length, 300001, r.host);
    assert.equal(lines[299999], "300000");
  }
});

test("a command killed by a signal: its result names it bare (TERM), its reason once (killed by SIGTERM)", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 1, 96), base);
  const [r] = await fleet.run("kill -TERM $$").results();
  assert.deepEqual([r!.state, r!.signal, r!.reason], ["failed", "TERM", "killed by SIGTERM"]);
});

test("auth with nothing to try (no key file, no agent, no password) says so", async (t) => {
  const home = await mkdtemp(join(tmpdir(), "shoal-empty-home-"));
  const before = process.env["HOME"];
  process.env["HOME"] = home;
  t.after(async () => {
    process.env["HOME"] = before;
    await rm(home, { recursive: true, force: true });
  });
  await using fleet = new Fleet([adHocHost(loopback(97), { port: sshd.port, user: sshd.user })], base);
  const events: FleetEvent[] = [];
  for await (const ev of fleet.run("true")) events.push(ev);
  const error = events.find((e) => e.type === "error");
  assert.ok(error?.type === "error" && error.kind === "auth", JSON.stringify(events));
  assert.match(error.message, /nothing to try: no key file found, no ssh-agent, no password/);
});

test("the time spent typing a key's passphrase does not count against the connect timeout", async (t) => {
  const keyPath = join(dir, "id_encrypted");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "typed slowly", "-C", "", "-f", keyPath]);
  const authorized = await readFile(sshd.authorizedKeysPath, "utf8");
  await writeFile(sshd.authorizedKeysPath, authorized + (await readFile(`${keyPath}.pub`, "utf8")));
  t.after(() => writeFile(sshd.authorizedKeysPath, authorized));
  // The user takes longer to answer than the whole connect timeout.
  const passphrase = () => new Promise<string>((resolve) => setTimeout(resolve, 1500, "typed slowly"));
  await using fleet = new Fleet([adHocHost(loopback(99), { port: sshd.port, user: sshd.user, identity_file: keyPath })], { ...base, connectTimeout: 1000, passphrase });
  const [r] = await fleet.run("true").results();
  assert.equal(r!.state, "ok", JSON.stringify(r));
});

test("ping times a round trip on the open connection, not sshd's setting up of the session", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 3, 98), base);
  const results = await fleet.ping().results();
  for (const r of results) {
    assert.equal(r.state, "ok");
    // The first request after login waits for sshd's session process (about a connect's time);
    // a round trip on loopback is a small part of it.
    assert.ok(r.rttMs! < r.connectMs! / 2, JSON.stringify(r));
  }
});

test("run: stdin goes to every host; megabytes of output are kept whole (spilled to disk)", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 3), base);
  const [a] = await fleet.run("wc -c", { input: Buffer.from("12345") }).results();
  assert.equal(a!.stdout!.trim(), "5");
  const big = await fleet.run("head -c 3000000 /dev/zero | tr '\\0' x").results();
  assert.ok(big.every((r) => r.stdout!.length === 3_000_000 && r.state === "ok"));
});

test("kept connections make the next command cheap: the second costs at most a third of the first", async () => {
  const hosts = sshdHosts(sshd, 50, 100);
  await using fleet = new Fleet(hosts, { ...base, keepConnections: true });
  let t = performance.now();
  const first = await fleet.run("true").results();
  const firstMs = performance.now() - t;
  assert.equal(fleet.openConnections, 50);
  t = performance.now();
  const events: FleetEvent[] = [];
  for await (const ev of fleet.run("true")) events.push(ev);
  const secondMs = performance.now() - t;
  assert.ok(first.every((r) => r.state === "ok"));
  assert.ok(events.filter((e) => e.type === "connected").every((e) => e.type === "connected" && e.reused));
  assert.ok(secondMs <= firstMs / 3, `first ${firstMs.toFixed(0)} ms, second ${secondMs.toFixed(0)} ms`);
  await fleet.close();
  assert.equal(fleet.openConnections, 0);
});

test("cancel stops the remote commands and ends every host as killed", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 10), base);
  const marker = `sleep 30.${process.pid}2`;
  const run = fleet.run(marker);
  const t0 = performance.now();
  let connected = 0;
  const results: HostResult[] = [];
  for await (const ev of run) {
    if (ev.type === "connected" && ++connected === 10) setTimeout(() => run.cancel(), 100);
    if (ev.type === "done") results.push(ev.result);
  }
  assert.equal(results.length, 10);
  assert.ok(results.every((r) => r.state === "killed" && r.kind === "killed"));
  assert.ok(performance.now() - t0 < 5000);
  assert.ok(await goneWithin(marker, 10_000), "the remote commands were stopped, not left running");
});

test("host keys: strict by default, gathered once per host; accept-new trusts and saves", async (t) => {
  const khDir = await mkdtemp(join(tmpdir(), "shoal-kh-"));
  t.after(() => rm(khDir, { recursive: true, force: true }));
  const empty = join(khDir, "known_hosts");
  await writeFile(empty, "");
  const hosts = sshdHosts(sshd, 4, 40);
  {
    await using fleet = new Fleet(hosts, { ...base, knownHosts: empty });
    const run = fleet.run("true");
    const results = await run.results();
    assert.ok(results.every((r) => r.state === "hostkey" && r.reason === "host key unknown"));
    assert.equal(run.hostKeys.length, 4);
    assert.ok(run.hostKeys.every((k) => k.fingerprint === sshd.hostKeyFingerprint && k.verdict === "unknown" && !k.accepted && k.keyType === "ssh-ed25519"));
  }
  {
    await using fleet = new Fleet(hosts, { ...base, knownHosts: empty, acceptNew: true });
    const run = fleet.run("true");
    assert.ok((await run.results()).every((r) => r.state === "ok"));
    assert.ok(run.hostKeys.every((k) => k.accepted));
    const saved = await readFile(empty, "utf8");
    assert.equal(saved.trim().split("\n").length, 4);
    assert.ok(saved.includes(`[${loopback(40)}]:${sshd.port} ${sshd.hostPublicKeys[0]}`));
  }
  {
    // A different key for one host: changed, refused even under accept-new.
    const other = await startSshd({ listenAll: false });
    t.after(() => other.stop());
    await writeFile(empty, `[127.0.0.1]:${other.port} ${sshd.hostPublicKeys[0]}\n`);
    await using fleet = new Fleet([adHocHost("127.0.0.1", { port: other.port, user: other.user, identity_file: other.keyPath })], { ...base, knownHosts: empty, acceptNew: true });
    const run = fleet.run("true");
    const [r] = await run.results();
    assert.equal(r!.state, "hostkey");
    assert.equal(r!.reason, "host key changed");
    assert.equal(run.hostKeys[0]!.verdict, "changed");
  }
});

test("auth: a rejected key is 'auth'; password_env logs in without a key", async () => {
  const keyless = adHocHost(loopback(60), { port: sshd.port, user: sshd.user, identity_file: join(dir, "no-such-key"), password_env: "SHOAL_TEST_PW" });
  const wrongUser = adHocHost(loopback(61), { port: sshd.port, user: "nobody", identity_file: sshd.keyPath });
  process.env["SHOAL_TEST_PW"] = sshd.password;
  await using fleet = new Fleet([keyless, wrongUser], base);
  const results = new Map((await fleet.run("true").results()).map((r) => [r.host, r]));
  assert.equal(results.get(keyless.name)!.state, "ok");
  assert.equal(results.get(wrongUser.name)!.state, "auth");
  assert.equal(results.get(wrongUser.name)!.kind, "auth");
  // A password that cannot be asked for: why is said with the failure.
  const noTerminal = adHocHost(loopback(62), { port: sshd.port, user: sshd.user, identity_file: join(dir, "no-such-key") });
  await using asking = new Fleet([noTerminal], { ...base, password: () => Promise.reject(new Error('Cannot ask "Password:": no terminal (use password_env instead)')) });
  const events: FleetEvent[] = [];
  for await (const ev of asking.run("true")) events.push(ev);
  const error = events.find((e) => e.type === "error");
  assert.ok(error?.type === "error" && error.kind === "auth", JSON.stringify(events));
  assert.match(error.message, /^authentication failed for .*\(.*no-such-key: .*; Cannot ask "Password:": no terminal \(use password_env instead\)\)$/);
});

test("unreachable hosts: refused is reported at once; retries back off and try again", async () => {
  const refused = adHocHost("127.0.0.1", { port: 1, user: sshd.user, identity_file: sshd.keyPath });
  await using fleet = new Fleet([refused], { ...base, retries: 2, retryDelay: 50 });
  const events: FleetEvent[] = [];
  for await (const ev of fleet.run("true")) events.push(ev);
  assert.equal(events.filter((e) => e.type === "connecting").length, 3);
  const errors = events.filter((e) => e.type === "error");
  assert.deepEqual(errors.map((e) => e.type === "error" && e.kind), ["refused", "refused", "refused"]);
  assert.deepEqual(errors.map((e) => e.type === "error" && e.retrying), [true, true, false]);
  const done = events.at(-1);
  assert.ok(done?.type === "done" && done.result.state === "unreachable" && done.result.reason === "connection refused");
});

test("put is atomic and skips unchanged files; get lands in LOCALDIR/HOST/", async (t) => {
  const local = join(dir, "payload.bin");
  const data = randomBytes(1_500_000);
  await writeFile(local, data);
  const remote = join(sshd.workDir, "payload.bin");
  const hosts = sshdHosts(sshd, 5, 70);
  await using fleet = new Fleet(hosts, base);
  const events: FleetEvent[] = [];
  for await (const ev of fleet.put(local, remote)) events.push(ev);
  const results = events.flatMap((e) => (e.type === "done" ? [e.result] : []));
  // Every loopback "host" writes the same file of this one machine: a host that comes after another
  // finished may find it already there, unchanged.
  assert.ok(results.every((r) => r.state === "ok" && r.files! + r.skipped! === 1 && r.bytes === (r.files ? data.length : 0)), JSON.stringify(results));
  assert.ok(events.some((e) => e.type === "progress"));
  assert.deepEqual(await readFile(remote), data);
  assert.deepEqual((await readdir(sshd.workDir)).filter((n) => n.includes("shoal-")), [], "no temporary files left");
  assert.equal(Math.floor((await stat(remote)).mtimeMs / 1000), Math.floor((await stat(local)).mtimeMs / 1000));
  const again = await fleet.put(local, remote).results();
  assert.ok(again.every((r) => r.state === "ok" && r.skipped === 1 && r.files === 0));
  const checked = await fleet.put(local, remote, { checksum: true }).results();
  assert.ok(checked.every((r) => r.skipped === 1));

  const into = join(dir, "got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const got = await fleet.get(remote, into).results();
  assert.ok(got.every((r) => r.state === "ok" && r.files === 1));
  for (const h of hosts) assert.deepEqual(await readFile(join(into, h.name, "payload.bin")), data);
  const missing = await fleet.get(join(sshd.workDir, "nope"), into).results();
  // The host answered "no such file": it was reached, so it is `failed` (exit status 1), not `unreachable`.
  assert.ok(missing.every((r) => r.state === "failed" && /no such file/.test(r.reason!)), JSON.stringify(missing));
});

test("a put the host refuses is 'failed', one reason for all hosts; its message keeps what the server said", async () => {
  const local = join(dir, "refused.bin");
  await writeFile(local, "x");
  const hosts = sshdHosts(sshd, 3, 90);
  await using fleet = new Fleet(hosts, base);
  const events: FleetEvent[] = [];
  for await (const ev of fleet.put(local, "/shoal-may-not-write-here")) events.push(ev);
  const results = events.flatMap((e) => (e.type === "done" ? [e.result] : []));
  // The temporary file's name differs on every host: the reason leaves it out so that hosts group.
  assert.deepEqual(
    results.map((r) => [r.state, r.reason]),
    hosts.map(() => ["failed", "cannot write /shoal-may-not-write-here: permission denied"]),
  );
  assert.ok(events.every((e) => e.type !== "error" || /^cannot write \/shoal-may-not-write-here: Permission denied/.test(e.message)));
  assert.equal(exitStatusOf(results), 1);
});

test("put -r copies a tree; get -r fetches it back", async (t) => {
  const tree = join(dir, "tree");
  await rm(tree, { recursive: true, force: true });
  const { mkdir } = await import("node:fs/promises");
  await mkdir(join(tree, "sub"), { recursive: true });
  await writeFile(join(tree, "a.txt"), "a");
  await writeFile(join(tree, "sub", "b.txt"), "bb");
  const remote = join(sshd.workDir, "tree-copy");
  // One host: every loopback "host" shares this machine's file system.
  await using fleet = new Fleet(sshdHosts(sshd, 1, 80), base);
  const put = await fleet.put(tree, remote, { recursive: true }).results();
  assert.ok(put.every((r) => r.state === "ok" && r.bytes === 3), JSON.stringify(put));
  assert.equal(await readFile(join(remote, "sub", "b.txt"), "utf8"), "bb");
  const again = await fleet.put(tree, remote, { recursive: true }).results();
  assert.ok(again.every((r) => r.state === "ok" && r.skipped === 2 && r.files === 0), JSON.stringify(again));
  const into = join(dir, "got-tree");
  t.after(() => rm(into, { recursive: true, force: true }));
  const got = await fleet.get(remote, into, { recursive: true }).results();
  assert.ok(got.every((r) => r.state === "ok" && r.files === 2));
  assert.equal(await readFile(join(into, loopback(80), "tree-copy", "sub", "b.txt"), "utf8"), "bb");
});

test("ping connects, authenticates and times a round trip", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 5), base);
  const results = await fleet.ping().results();
  assert.ok(results.every((r) => r.state === "ok" && typeof r.rttMs === "number" && r.rttMs > 0 && r.rttMs < 1000));
});

test("sshd's default MaxStartups (10:30:100): the handshake cap completes every host", async (t) => {
  const strict = await startSshd({ listenAll: true });
  t.after(() => strict.stop());
  const khDir = await mkdtemp(join(tmpdir(), "shoal-ms-"));
  t.after(() => rm(khDir, { recursive: true, force: true }));
  const kh = await knownHostsFor(strict, khDir);
  await using fleet = new Fleet(sshdHosts(strict, 120, 300), { ...base, knownHosts: kh, forks: 64 });
  const events: FleetEvent[] = [];
  for await (const ev of fleet.run("true")) events.push(ev);
  const results = events.flatMap((e) => (e.type === "done" ? [e.result] : []));
  assert.equal(results.length, 120);
  assert.deepEqual(results.filter((r) => r.state !== "ok"), []);
});

test("proxy_jump: hosts behind a jump host are reached through one shared connection to it", async () => {
  const jump = `${sshd.user}@${loopback(90)}:${sshd.port}`;
  const hosts = sshdHosts(sshd, 3, 91).map((h) => ({ ...h, vars: { ...h.vars, proxy_jump: jump } }));
  await using fleet = new Fleet(hosts, base);
  const results = await fleet.run('set -- $SSH_CONNECTION; echo "$1 -> $3"').results();
  assert.ok(results.every((r) => r.state === "ok"), JSON.stringify(results));
  for (const r of results) assert.match(r.stdout!, new RegExp(` -> ${r.host.replace(/\./g, "\\.")}\\n$`));
  // The same reachable host behind a jump host that refuses: the jump is really in the path.
  const bad = sshdHosts(sshd, 1, 95).map((h) => ({ ...h, vars: { ...h.vars, proxy_jump: `${sshd.user}@127.0.0.1:1` } }));
  await using f2 = new Fleet(bad, base);
  const [r] = await f2.run("true").results();
  assert.equal(r!.state, "unreachable");
  assert.equal(r!.kind, "refused");
});

test("proxy_jump: two runs at once share the jump connection, and the first to end leaves it to the other", async () => {
  const jump = `${sshd.user}@${loopback(96)}:${sshd.port}`;
  const hosts = sshdHosts(sshd, 3, 97).map((h) => ({ ...h, vars: { ...h.vars, proxy_jump: jump } }));
  await using fleet = new Fleet(hosts, base);
  // The short run used to close the jump connection under the long one: "connection lost".
  const [short, long] = await Promise.all([
    fleet.run("true", { hosts: [hosts[0]!] }).results(),
    fleet.run("sleep 1; echo done", { hosts: hosts.slice(1) }).results(),
  ]);
  assert.ok(short.every((r) => r.state === "ok"), JSON.stringify(short));
  assert.ok(long.every((r) => r.state === "ok" && r.stdout === "done\n"), JSON.stringify(long));
});

test("proxy_jump with keepConnections: a jump connection that died is replaced at the next run", async () => {
  const jump = `${sshd.user}@${loopback(96)}:${sshd.port}`;
  const hosts = sshdHosts(sshd, 2, 97).map((h) => ({ ...h, vars: { ...h.vars, proxy_jump: jump } }));
  await using fleet = new Fleet(hosts, { ...base, keepConnections: true });
  const first = await fleet.run("true").results();
  assert.ok(first.every((r) => r.state === "ok"), JSON.stringify(first));
  // Every connection to this sshd ends (its per-connection processes stopped), the jump's among them.
  const sessions = spawnSync("pgrep", ["-P", String(sshd.pid)], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  assert.ok(sessions.length >= 3, `sshd serves the jump and the two hosts: ${sessions.join(" ")}`);
  for (const pid of sessions) process.kill(Number(pid), "SIGTERM");
  const deadline = performance.now() + 10_000;
  while (fleet.openConnections > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fleet.openConnections, 0);
  // The dead jump connection was kept and failed every later run ("Not connected").
  const second = await fleet.run("true").results();
  assert.ok(second.every((r) => r.state === "ok"), JSON.stringify(second));
});

test("proxy_jump: a run cancelled while its jump connection opens fails none of the hosts of another run waiting on it", async (t) => {
  // A bastion slow to answer (a relay that waits 1 s before it connects), so that both runs wait on
  // the jump connection the first opened when the first is left.
  const relays = new Set<Socket>();
  const slow = createServer((client) => {
    relays.add(client);
    const timer = setTimeout(() => {
      const upstream = connectTcp(sshd.port, loopback(93));
      relays.add(upstream);
      client.pipe(upstream).pipe(client);
      upstream.on("error", () => client.destroy());
    }, 1000);
    client.on("error", () => {});
    client.on("close", () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const s of relays) s.destroy();
    slow.close();
  });
  const jump = `${sshd.user}@127.0.0.1:${(slow.address() as AddressInfo).port}`;
  const hosts = sshdHosts(sshd, 3, 94).map((h) => ({ ...h, vars: { ...h.vars, proxy_jump: jump } }));
  await using fleet = new Fleet(hosts, { ...base, knownHosts: false });
  const first = fleet.run("sleep 1", { hosts: [hosts[0]!] })[Symbol.asyncIterator]();
  while ((await first.next()).value?.type !== "connecting");
  const other = fleet.run("echo done", { hosts: hosts.slice(1) });
  const events = other[Symbol.asyncIterator]();
  for (let connecting = 0; connecting < 2; ) if ((await events.next()).value?.type === "connecting") connecting++;
  // Left, the first run cancelled the jump connection it was opening, and with it the other run's
  // hosts, which ended 'killed: interrupted'.
  await first.return!(undefined);
  while (!(await events.next()).done);
  const results = await other.results();
  assert.ok(results.every((r) => r.state === "ok" && r.stdout === "done\n"), JSON.stringify(results));
});

/** A ProxyCommand that relays to TCP `host:port` (a portable `nc`), noting each use in `log`. */
function relay(log: string, host: string, port: string): string {
  const script = `require("fs").appendFileSync(process.argv[3], process.argv[1] + "\\n"); const s = require("net").connect(Number(process.argv[2]), process.argv[1]); process.stdin.pipe(s); s.pipe(process.stdout); s.on("error", () => process.exit(2));`;
  return `'${process.execPath}' -e '${script}' ${host} ${port} ${log}`;
}

test("ProxyCommand, from ssh_config or the inventory: the connection goes through the command, its tokens from the host", async (t) => {
  const local = await mkdtemp(join(tmpdir(), "shoal-proxy-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  const log = join(local, "relayed");
  const config = join(local, "ssh_config");
  await writeFile(config, `Host 127.0.1.10?\n  ProxyCommand ${relay(log, "%h", "%p")}\n`);
  const fromConfig = sshdHosts(sshd, 4, 99); // 127.0.1.100 … 127.0.1.103
  const fromInventory = sshdHosts(sshd, 2, 110).map((h) => ({ ...h, vars: { ...h.vars, proxy_command: relay(log, "%h", "%p") } }));
  await using fleet = new Fleet([...fromConfig, ...fromInventory], { ...base, sshConfig: config });
  const results = await fleet.run(WHOAMI).results();
  assert.ok(results.every((r) => r.state === "ok" && r.stdout === `${r.host}\n`), JSON.stringify(results));
  assert.deepEqual((await readFile(log, "utf8")).trim().split("\n").sort(), [...fromConfig, ...fromInventory].map((h) => h.name).sort());

  // A command that fails: the host is unreachable through it, said once (no retry as a dropped connection).
  const failing = sshdHosts(sshd, 2, 115).map((h) => ({ ...h, vars: { ...h.vars, proxy_command: "exit 3" } }));
  await using f2 = new Fleet(failing, base);
  const events: FleetEvent[] = [];
  for await (const ev of f2.run("true")) events.push(ev);
  const done = events.flatMap((e) => (e.type === "done" ? [e.result] : []));
  assert.deepEqual(done.map((r) => [r.state, r.kind, r.reason]), [["unreachable", "refused", "ProxyCommand exited with status 3"], ["unreachable", "refused", "ProxyCommand exited with status 3"]]);
  assert.equal(events.filter((e) => e.type === "connecting").length, 2, "one attempt per host");
  const errors = events.flatMap((e) => (e.type === "error" ? [e.message] : []));
  assert.deepEqual(errors, ['ProxyCommand "exit 3" failed: exited with status 3', 'ProxyCommand "exit 3" failed: exited with status 3']);
});

test("a proxy command is ended with everything it started: at a connect timeout, when its connection closes, and when it never exits on its own", async (t) => {
  const local = await mkdtemp(join(tmpdir(), "shoal-proxy-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  const log = join(local, "relayed");
  // Says nothing, ever: the connect timeout ends it, and its child with it.
  const silent = sshdHosts(sshd, 1, 120).map((h) => ({ ...h, vars: { ...h.vars, proxy_command: "sleep 71.3 | cat" } }));
  // Carries the connection, then lingers after its input ends (a pipeline, and a sleep after the relay).
  const lingering = sshdHosts(sshd, 2, 121).map((h) => ({ ...h, vars: { ...h.vars, proxy_command: `${relay(log, "%h", "%p")} | cat; sleep 72.3` } }));
  const started = performance.now();
  await using fleet = new Fleet([...silent, ...lingering], { ...base, connectTimeout: 1500 });
  const results = new Map((await fleet.run(WHOAMI).results()).map((r) => [r.host, r]));
  assert.equal(results.get(silent[0]!.name)!.state, "timeout");
  for (const h of lingering) assert.equal(results.get(h.name)!.stdout, `${h.name}\n`);
  await fleet.close();
  assert.ok(performance.now() - started < 20_000, "no wait for the proxies' own ends");
  assert.ok(await goneWithin("sleep 71.3", 5000), "the silent proxy's sleep was ended");
  assert.ok(await goneWithin("sleep 72.3", 5000), "the lingering proxies were ended when their connections closed");
});

test("a proxy command that ends before the banner: unreachable at once, not taken for a dropped connection; a bastion's drop (kex_exchange_identification) is retried", async (t) => {
  const local = await mkdtemp(join(tmpdir(), "shoal-proxy-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  const quiet = sshdHosts(sshd, 1, 125).map((h) => ({ ...h, vars: { ...h.vars, proxy_command: "true" } }));
  // The first attempt is dropped as a busy bastion drops it; the next goes through.
  const mark = join(local, "dropped-once");
  const flaky = sshdHosts(sshd, 1, 126).map((h) => ({
    ...h,
    vars: { ...h.vars, proxy_command: `if [ -e ${mark} ]; then ${relay(join(local, "log"), "%h", "%p")}; else touch ${mark}; echo 'kex_exchange_identification: Connection closed by remote host' >&2; exit 255; fi` },
  }));
  await using fleet = new Fleet([...quiet, ...flaky], base);
  const events: FleetEvent[] = [];
  for await (const ev of fleet.run("true")) events.push(ev);
  const of = (host: string) => events.filter((e) => e.host === host);
  const quietDone = of(quiet[0]!.name).find((e) => e.type === "done");
  assert.ok(quietDone?.type === "done" && quietDone.result.state === "unreachable" && quietDone.result.reason === "ProxyCommand ended", JSON.stringify(quietDone));
  assert.equal(of(quiet[0]!.name).filter((e) => e.type === "connecting").length, 1);
  const flakyErrors = of(flaky[0]!.name).filter((e) => e.type === "error");
  assert.ok(flakyErrors.length === 1 && flakyErrors[0]!.type === "error" && flakyErrors[0]!.kind === "maxstartups" && flakyErrors[0]!.retrying, JSON.stringify(flakyErrors));
  assert.match((flakyErrors[0] as { message: string }).message, /the bastion dropped the connection before its banner \(MaxStartups\?\): kex_exchange_identification/);
  const flakyDone = of(flaky[0]!.name).find((e) => e.type === "done");
  assert.ok(flakyDone?.type === "done" && flakyDone.result.state === "ok");
});

test("ssh_config is looked up only to open a connection: a kept one runs the next command without Match exec again", async (t) => {
  const local = await mkdtemp(join(tmpdir(), "shoal-lookup-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  const log = join(local, "looked-up");
  const config = join(local, "ssh_config");
  await writeFile(config, `Match exec "echo %n >> ${log}"\n  User ${sshd.user}\n`);
  const hosts = sshdHosts(sshd, 3, 130).map((h) => ({ ...h, vars: { ...h.vars, user: undefined } }));
  await using fleet = new Fleet(hosts, { ...base, sshConfig: config, keepConnections: true });
  for (let i = 0; i < 3; i++) assert.ok((await fleet.run("true").results()).every((r) => r.state === "ok"));
  assert.deepEqual((await readFile(log, "utf8")).trim().split("\n").sort(), hosts.map((h) => h.name).sort());
});

test("a run stopped while ssh_config's Match exec runs stops at once, and the command goes with everything it started", async (t) => {
  const local = await mkdtemp(join(tmpdir(), "shoal-lookup-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  const config = join(local, "ssh_config");
  await writeFile(config, `Match exec "sleep 43.7 & wait"\n  User ${sshd.user}\n`);
  await using fleet = new Fleet(sshdHosts(sshd, 2, 135), { ...base, sshConfig: config, connectTimeout: 60_000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("interrupted")), 300);
  const started = performance.now();
  const results = await fleet.run("true", { signal: controller.signal }).results();
  assert.ok(performance.now() - started < 5000, `stopped in ${(performance.now() - started).toFixed(0)} ms`);
  assert.deepEqual(results.map((r) => r.state), ["killed", "killed"]);
  assert.ok(await goneWithin("sleep 43.7", 5000), "the Match exec commands were killed with their children");
});

test("--pty gives the command a terminal", async () => {
  await using fleet = new Fleet(sshdHosts(sshd, 1, 99), base);
  const [withPty] = await fleet.run("tty").results();
  assert.equal(withPty!.state, "failed"); // no terminal: tty exits 1
  const [r] = await fleet.run("tty", { pty: true }).results();
  assert.equal(r!.state, "ok");
  assert.match(r!.stdout!, /^\/dev\/pts\/\d+\r?\n$/);
});

test("run({ forwardAgent }) against a server that refuses forwarding: each host fails, saying so; without an agent it throws", async (t) => {
  const strict = await startSshd({ listenAll: true, extraConfig: ["AllowAgentForwarding no"] });
  t.after(() => strict.stop());
  const strictDir = await mkdtemp(join(tmpdir(), "shoal-fleet-strict-"));
  t.after(() => rm(strictDir, { recursive: true, force: true }));
  const socket = join(strictDir, "agent.sock");
  await startSshAgent(t, socket, [strict.keyPath]);
  await using fleet = new Fleet(sshdHosts(strict, 2), { ...base, knownHosts: await knownHostsFor(strict, strictDir), agent: socket });
  const results = await fleet.run("true", { forwardAgent: true }).results();
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.notEqual(r.state, "ok");
    assert.equal(r.kind, "channel");
    assert.equal(r.reason, "agent forwarding refused");
  }
  await using noAgent = new Fleet(sshdHosts(strict, 1), { ...base, knownHosts: await knownHostsFor(strict, strictDir) });
  assert.throws(() => noAgent.run("true", { forwardAgent: true }), /forwardAgent needs an ssh-agent/);
});
