/**
 * Early connections: the first hosts' TCP connections opened before the fleet loads, taken by the
 * run, against OpenSSH's sshd on loopback addresses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import net, { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startSshd } from "../fixtures/sshd.js";
import { Fleet } from "../../src/fleet/fleet.js";
import { EarlyConnections } from "../../src/fleet/early-connections.js";
import { connect } from "../../src/fleet/connection.js";
import { Credentials } from "../../src/fleet/credentials.js";
import { HandshakeGate } from "../../src/fleet/handshake-gate.js";
import { adHocHost } from "../../src/fleet/host.js";
import type { FleetEvent, HostResult } from "../../src/fleet/events.js";
import { knownHostsFor, sshdHosts } from "./helpers.js";

const sshd = await startSshd({ listenAll: true, maxStartups: 1000 });
const dir = await mkdtemp(join(tmpdir(), "shoal-early-"));
const knownHosts = await knownHostsFor(sshd, dir);
const base = { knownHosts, sshConfig: false as const, agent: false as const, connectTimeout: 10_000 };
test.after(async () => {
  await sshd.stop();
  await rm(dir, { recursive: true, force: true });
});

async function results(run: AsyncIterable<FleetEvent>): Promise<HostResult[]> {
  const out: HostResult[] = [];
  for await (const ev of run) if (ev.type === "done") out.push(ev.result);
  return out;
}

test("the run takes the first hosts' early connections (as many as the gate starts at once) and every host answers", async () => {
  const hosts = sshdHosts(sshd, 12);
  const session = { type: "exec", command: "hostname" } as const;
  const early = EarlyConnections.open(hosts, { ...base, session });
  await early.ready;
  try {
    await using fleet = new Fleet(hosts, base);
    const done = await results(fleet.run("hostname", { earlyConnections: early }));
    assert.equal(done.length, 12);
    assert.ok(done.every((r) => r.state === "ok" && r.exitStatus === 0), JSON.stringify(done.filter((r) => r.state !== "ok")));
    assert.equal(early.taken, 8, "DEFAULT_HANDSHAKES_PER_SERVER hosts were opened early, and the run took each");
  } finally {
    early.close();
  }
});

test("no more early connections than forks or the run's own handshake cap", async () => {
  const hosts = sshdHosts(sshd, 12);
  for (const [options, expected] of [[{ forks: 3 }, 3], [{ handshakesPerServer: 2 }, 2]] as const) {
    const early = EarlyConnections.open(hosts, { ...base, ...options, session: { type: "exec", command: "true" } });
    await early.ready;
    const sockets = hosts.map((h) => early.take(h, { type: "exec", command: "true" })?.socket).filter((s) => s !== undefined);
    assert.equal(sockets.length, expected, JSON.stringify(options));
    for (const s of sockets) s.destroy();
    early.close();
  }
});

test("a run for another command takes nothing: its lookups could differ (Match command); close() ends the connections", async () => {
  const hosts = sshdHosts(sshd, 2);
  const early = EarlyConnections.open(hosts, { ...base, session: { type: "exec", command: "uname" } });
  await early.ready;
  await using fleet = new Fleet(hosts, base);
  const done = await results(fleet.run("hostname", { earlyConnections: early }));
  assert.ok(done.every((r) => r.state === "ok"));
  assert.equal(early.taken, 0);
  early.close();
  assert.equal(early.take(hosts[0]!, { type: "exec", command: "uname" }), undefined, "closed: nothing left to take");
});

test("hosts behind a proxy command get their spec early but no connection", async () => {
  const host = adHocHost("proxied", { port: sshd.port, proxy_command: "nc %h %p" });
  const early = EarlyConnections.open([host], { ...base, session: { type: "exec", command: "true" } });
  await early.ready;
  const taken = early.take(host, { type: "exec", command: "true" });
  assert.ok(taken);
  assert.equal(taken.socket, undefined);
  assert.equal((await taken.spec).proxyCommand, `nc proxied ${sshd.port}`);
  early.close();
});

test("an early connection that was refused: the run connects afresh and says `refused`, without hanging", async () => {
  const port = await freePort();
  const hosts = [adHocHost("127.0.0.1", { port, user: sshd.user, identity_file: sshd.keyPath }), ...sshdHosts(sshd, 1)];
  const early = EarlyConnections.open(hosts, { ...base, session: { type: "exec", command: "true" } });
  await early.ready;
  try {
    await using fleet = new Fleet(hosts, base);
    const done = await results(fleet.run("true", { earlyConnections: early }));
    const byHost = new Map(done.map((r) => [r.host, r]));
    assert.equal(byHost.get("127.0.0.1")?.state, "unreachable");
    assert.equal(byHost.get("127.0.0.1")?.kind, "refused");
    assert.equal(byHost.get(hosts[1]!.name)?.state, "ok");
  } finally {
    early.close();
  }
});

test("a host's ssh_config is looked up once: a `Match exec` runs once per host, not again by the run", async () => {
  const log = join(dir, "match-exec.log");
  const config = join(dir, "ssh_config");
  await writeFile(config, `Match exec "echo %h >> ${log}"\n  User ${sshd.user}\n`);
  const hosts = sshdHosts(sshd, 3);
  const options = { ...base, sshConfig: config };
  const early = EarlyConnections.open(hosts, { ...options, session: { type: "exec", command: "true" } });
  await early.ready;
  try {
    await using fleet = new Fleet(hosts, options);
    const done = await results(fleet.run("true", { earlyConnections: early }));
    assert.ok(done.every((r) => r.state === "ok"));
    assert.deepEqual((await readFile(log, "utf8")).trim().split("\n").sort(), hosts.map((h) => h.name).sort());
  } finally {
    early.close();
  }
});

test("connections no run takes do not keep the process alive", async () => {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const module = fileURLToPath(new URL("../../src/fleet/early-connections.js", import.meta.url));
    const script = `
      const { EarlyConnections } = await import(${JSON.stringify(module)});
      const early = EarlyConnections.open([{ name: "127.0.0.1", groups: [], vars: { port: ${port} } }], { sshConfig: false, session: { type: "exec", command: "true" } });
      await early.ready;
      console.log("opened");`;
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 }, (err, stdout) => resolve({ code: err ? (err.code as number | null) : 0, stdout }));
    });
    assert.equal(stdout.trim(), "opened");
    assert.equal(code, 0, "the child exited by itself, with a connection still open");
  } finally {
    for (const s of accepted) s.destroy();
    server.close();
  }
});

test("an early connection handed to a host stopped while it waits for its handshake slot is closed, not left open", async () => {
  const gate = new HandshakeGate(1);
  const held = await gate.acquire(HandshakeGate.serverKey("127.0.1.1", sshd.port));
  const tcp = net.connect({ host: "127.0.1.1", port: sshd.port });
  const stop = new AbortController();
  const spec = { name: "127.0.1.1", hostname: "127.0.1.1", port: sshd.port, username: sshd.user, identityFiles: [sshd.keyPath], connectTimeout: 10_000 };
  const connecting = connect(spec, { credentials: new Credentials({ agent: false }), knownHosts: null, acceptNew: false, gate, onHostKey: () => {}, signal: stop.signal, tcp });
  stop.abort(new Error("interrupted"));
  await assert.rejects(connecting, /interrupted/);
  assert.equal(tcp.destroyed, true);
  held.release();
});

test("an early connection gone stale before the run takes it (the server closed it after its banner) is replaced, and the host answers", async () => {
  // In front of sshd: the first connection gets a banner and is closed, as by LoginGraceTime; the next ones reach sshd.
  let accepted = 0;
  const proxy = createServer((client) => {
    if (accepted++ === 0) {
      client.end("SSH-2.0-OpenSSH_9.2\r\n");
      return;
    }
    const upstream = net.connect({ host: "127.0.0.1", port: sshd.port });
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const port = (proxy.address() as AddressInfo).port;
  const options = { ...base, knownHosts: false as const };
  const hosts = [adHocHost("127.0.0.1", { port, user: sshd.user, identity_file: sshd.keyPath })];
  const early = EarlyConnections.open(hosts, { ...options, session: { type: "exec", command: "echo hi" } });
  await early.ready;
  try {
    // The stale connection has its banner and its end waiting, unread, when the run takes it.
    while (accepted === 0) await new Promise((resolve) => setImmediate(resolve));
    await using fleet = new Fleet(hosts, options);
    const done = await results(fleet.run("echo hi", { earlyConnections: early }));
    assert.equal(done[0]?.state, "ok", JSON.stringify(done));
    assert.equal(done[0]?.stdout, "hi\n");
    assert.equal(early.taken, 1);
  } finally {
    early.close();
    proxy.close();
  }
});

const BIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));

test("`shoal run`: one host's slow lookup (a `Match exec`) holds up that host alone", { timeout: 60_000 }, async () => {
  const home = await mkdtemp(join(tmpdir(), "shoal-early-home-"));
  const gate = join(home, "gate");
  spawnSync("mkfifo", [gate]);
  await mkdir(join(home, ".ssh"));
  // 127.0.1.1's lookup waits until the test writes to the FIFO.
  await writeFile(join(home, ".ssh", "config"), `Match exec "[ %h != 127.0.1.1 ] || cat ${gate} >/dev/null"\n  User ${sshd.user}\n`);
  const inventory = join(home, "shoal.yml");
  await writeFile(inventory, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath}, known_hosts: ${knownHosts} }\nhosts: ["127.0.1.[1-4]"]\n`);
  const child = spawn(BIN, ["run", "all", "-i", inventory, "--json", "--", "true"], { env: { ...process.env, HOME: home, SHOAL_STATE_DIR: join(home, "state"), NO_COLOR: "1" } });
  const order: string[] = [];
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    void writeFile(gate, "go\n");
  };
  // A bound, not a timing: without the fix no host would finish before the FIFO is written.
  const bound = setTimeout(release, 20_000);
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const event = JSON.parse(buffer.slice(0, nl)) as { type: string; host?: string };
      buffer = buffer.slice(nl + 1);
      if (event.type === "done") order.push(event.host!);
      if (order.length === 3) release();
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(bound);
  await rm(home, { recursive: true, force: true });
  assert.equal(code, 0);
  assert.deepEqual(order.slice(0, 3).sort(), ["127.0.1.2", "127.0.1.3", "127.0.1.4"], `done in order ${order.join(" ")}`);
  assert.equal(order[3], "127.0.1.1");
});

test("`shoal run`: Ctrl-C while an early lookup runs a `Match exec` ends shoal at once, and that command with it", { timeout: 60_000 }, async () => {
  const home = await mkdtemp(join(tmpdir(), "shoal-early-home-"));
  const marker = `sleep 31.${process.pid}`;
  const started = join(home, "started");
  await mkdir(join(home, ".ssh"));
  await writeFile(join(home, ".ssh", "config"), `Match exec "touch ${started}; ${marker}"\n  Port 1\n`);
  const child = spawn(BIN, ["run", "-H", "127.0.0.1", "--", "true"], { env: { ...process.env, HOME: home, SHOAL_STATE_DIR: join(home, "state"), NO_COLOR: "1" } });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  try {
    while (!(await stat(started).catch(() => undefined))) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGINT");
    assert.equal(await closed, 130, stderr);
    assert.match(stderr, /interrupted before the run started/);
    for (let i = 0; spawnSync("pgrep", ["-f", marker]).status === 0; i++) {
      assert.ok(i < 250, `the Match exec command (${marker}) is still running`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    spawnSync("pkill", ["-f", marker]);
    await rm(home, { recursive: true, force: true });
  }
});
