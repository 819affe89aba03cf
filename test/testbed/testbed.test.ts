import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect as netConnect } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { startTestbed } from "../../src/testbed/index.js";
import { isLoopback, loopbackAddress } from "../../src/testbed/addresses.js";
import { Fleet } from "../../src/fleet/fleet.js";
import { Inventory } from "../../src/fleet/inventory.js";
import { connect, connectTo, exec } from "./helpers.js";

test("starts 200 hosts quickly, each with its own address, key and name", async (t) => {
  const started = performance.now();
  const testbed = await startTestbed({ hosts: 200 });
  const elapsed = performance.now() - started;
  t.after(() => testbed.stop());
  // A generous bound (it takes ~0.1 s on a quiet machine): it catches a start-up that is serial or
  // pathological, not a loaded machine.
  assert.ok(elapsed < 20_000, `200 hosts took ${elapsed.toFixed(0)} ms to start`);
  assert.equal(testbed.hosts.length, 200);
  assert.equal(new Set(testbed.hosts.map((h) => h.address)).size, 200);
  assert.equal(new Set(testbed.hosts.map((h) => h.hostKey)).size, 200);
  assert.equal(new Set(testbed.hosts.map((h) => h.name)).size, 200);
  assert.deepEqual(
    [...new Set(testbed.hosts.map((h) => h.group))],
    ["web", "db", "cache"],
  );
  assert.equal(testbed.hosts[0]!.name, "web001");
  // The inventory is the fleet's YAML format: every host under its group, with its address.
  const inventory = parse(readFileSync(testbed.inventoryFile, "utf8")) as {
    defaults: Record<string, unknown>;
    groups: Record<string, { hosts?: { host: string; hostname: string }[]; children?: string[] }>;
  };
  assert.equal(inventory.defaults["port"], testbed.port);
  assert.equal(inventory.defaults["user"], "shoal");
  assert.equal(inventory.defaults["identity_file"], testbed.identityFile);
  const listed = Object.values(inventory.groups).flatMap((g) => g.hosts ?? []);
  assert.equal(listed.length, 200);
  assert.deepEqual(listed[0], { host: "web001", hostname: "127.0.10.1" });
  assert.deepEqual(inventory.groups["backend"]?.children, ["db", "cache"]);
  // known_hosts names each host by name and address, with the port.
  const lines = readFileSync(testbed.knownHostsFile, "utf8").trim().split("\n");
  assert.equal(lines.length, 200);
  assert.match(lines[0]!, new RegExp(`^\\[web001\\]:${testbed.port},\\[127\\.0\\.10\\.1\\]:${testbed.port} ssh-ed25519 `));
});

test("runs commands through the shell in each host's directory, with exit status, stderr and stdin", async (t) => {
  const testbed = await startTestbed({ hosts: 3 });
  t.after(() => testbed.stop());
  for (const host of testbed.hosts) {
    const client = await connectTo(testbed, host);
    try {
      const result = await exec(client, "hostname; pwd; echo $SHOAL_HOST; echo oops >&2; exit 7");
      assert.equal(result.stdout, `${host.name}\n${host.dir}\n${host.name}\n`);
      assert.equal(result.stderr, "oops\n");
      assert.equal(result.code, 7);
      const echoed = await exec(client, "tr a-z A-Z", { stdin: "hello\n" });
      assert.equal(echoed.stdout, "HELLO\n");
      assert.equal(echoed.code, 0);
    } finally {
      client.end();
    }
  }
});

test("delivers signals to the command and reports the signal as its end", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const client = await connectTo(testbed, testbed.hosts[0]!);
  t.after(() => client.end());
  const result = await exec(client, "echo started; exec sleep 30", {
    onChannel: (channel) => channel.once("data", () => channel.signal("TERM")),
  });
  assert.equal(result.signal, "SIGTERM");
  assert.equal(result.stdout, "started\n");
});

test("gives a pseudo-terminal when asked", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const client = await connectTo(testbed, testbed.hosts[0]!);
  t.after(() => client.end());
  const withPty = await exec(client, "tty; exit 4", { pty: true });
  assert.match(withPty.stdout, /^\/dev\/pts\/\d+/);
  assert.equal(withPty.code, 4);
  const without = await exec(client, "tty");
  assert.match(without.stdout, /not a tty/);
});

test("serves an interactive shell", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const client = await connectTo(testbed, testbed.hosts[0]!);
  t.after(() => client.end());
  const output = await new Promise<string>((resolve, reject) => {
    client.shell(false, (err, channel) => {
      if (err) return reject(err);
      let out = "";
      channel.on("data", (d: Buffer) => (out += d.toString()));
      channel.on("close", () => resolve(out));
      channel.end("echo from-$(hostname)\nexit\n");
    });
  });
  assert.match(output, /from-web01/);
});

test("logs in with the password, and refuses a wrong one or a wrong user", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const host = testbed.hosts[0]!;
  const client = await connect({ host: host.address, port: host.port, username: host.user, password: testbed.password });
  const result = await exec(client, "echo ok");
  client.end();
  assert.equal(result.stdout, "ok\n");
  await assert.rejects(connect({ host: host.address, port: host.port, username: host.user, password: "wrong" }), /authentication methods failed/);
  await assert.rejects(connect({ host: host.address, port: host.port, username: "root", password: testbed.password }), /authentication methods failed/);
});

test("per-host credentials differ from host to host", async (t) => {
  const testbed = await startTestbed({ hosts: 2, credentials: "per-host" });
  t.after(() => testbed.stop());
  const [a, b] = testbed.hosts as [typeof testbed.hosts[0], typeof testbed.hosts[0]];
  assert.notEqual(a.user, b.user);
  assert.notEqual(a.password, b.password);
  assert.notEqual(a.identityFile, b.identityFile);
  const client = await connectTo(testbed, a);
  client.end();
  // b's key does not open a.
  await assert.rejects(connectTo(testbed, a, { privateKey: readFileSync(b.identityFile) }), /authentication methods failed/);
  assert.equal(Object.keys(testbed.env()).length, 2);
  assert.match(testbed.inventory(), /user: shoal-web01, identity_file: /);
});

test("stop() closes listeners, connections and commands", async () => {
  const testbed = await startTestbed({ hosts: 2 });
  const host = testbed.hosts[0]!;
  const client = await connectTo(testbed, host);
  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  const running = exec(client, "sleep 30").catch(() => undefined);
  await testbed.stop();
  await closed;
  await running;
  await assert.rejects(
    new Promise((resolve, reject) => {
      const socket = netConnect({ host: host.address, port: host.port }, () => resolve(socket));
      socket.once("error", reject);
    }),
    /ECONNREFUSED/,
  );
  await testbed.stop();
});

test("addresses stay inside 127.0.0.0/8 and only loopback peers count as trusted", () => {
  assert.equal(loopbackAddress("127.0.10.1", 0), "127.0.10.1");
  assert.equal(loopbackAddress("127.0.10.1", 253), "127.0.10.254");
  assert.equal(loopbackAddress("127.0.10.1", 254), "127.0.11.1");
  assert.throws(() => loopbackAddress("10.0.0.1", 0), /loopback/);
  assert.ok(isLoopback("127.0.0.1"));
  assert.ok(isLoopback("::ffff:127.3.4.5"));
  assert.ok(isLoopback("::1"));
  assert.ok(!isLoopback("10.1.2.3"));
  assert.ok(!isLoopback("::ffff:192.168.1.1"));
  assert.ok(!isLoopback(undefined));
});

test("warm shells run commands exactly as freshly spawned ones", async (t) => {
  const testbed = await startTestbed({ hosts: 2 });
  t.after(() => testbed.stop());
  await testbed.warm();
  const host = testbed.hosts[1]!;
  const client = await connectTo(testbed, host);
  t.after(() => client.end());
  const result = await exec(client, "hostname; pwd; echo \"$HOME|$USER|$SHOAL_HOST\"; echo \"it's\"; exit 9");
  assert.equal(result.stdout, `${host.name}\n${host.dir}\n${host.dir}|${host.user}|${host.name}\nit's\n`);
  assert.equal(result.code, 9);
  // stdin after the shell's own line reaches the command whole.
  const big = "x".repeat(200_000) + "\nlast line\n";
  const counted = await exec(client, "wc -c", { stdin: big });
  assert.equal(counted.stdout.trim(), String(big.length));
  // Signals reach the command (the warm shell became it: same process group).
  const signalled = await exec(client, "echo go; exec sleep 30", { onChannel: (ch) => ch.once("data", () => ch.signal("KILL")) });
  assert.equal(signalled.signal, "SIGKILL");
  // The warm shell's own variables stay its own, and errors read as a fresh sh -c's.
  const clean = await exec(client, 'echo "[${line-unset}]"; env | grep -c "^OLDPWD=" ; nonexistcmd');
  assert.equal(clean.stdout, "[unset]\n0\n");
  assert.equal(clean.stderr, "/bin/sh: 1: nonexistcmd: not found\n");
  assert.equal(clean.code, 127);
  // A command over several lines cannot travel as one line: it is spawned instead, and works the same.
  const multi = await exec(client, "echo one\necho two");
  assert.equal(multi.stdout, "one\ntwo\n");
});

test("a command cancelled after the client's EOF is stopped, not left running on the testbed", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const inventory = await Inventory.load(testbed.inventoryFile);
  await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false });
  // Without --stdin the fleet sends EOF first thing: the cancel's TERM comes after it.
  const run = fleet.run("echo $$; exec sleep 30");
  let pid: number | undefined;
  for await (const ev of run) {
    if (ev.type === "stdout" && pid === undefined) {
      pid = Number(ev.data.trim());
      run.cancel();
    }
  }
  assert.ok(pid !== undefined && pid > 0);
  assert.equal(await processGone(pid, 5000), true, `the command (pid ${pid}) still runs after the cancel`);
});

/** Whether process `pid` is gone within `ms` (`tail --pid` waits for it without polling from here). */
function processGone(pid: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const waiter = spawn("tail", [`--pid=${pid}`, "-s", "0.05", "-f", "/dev/null"], { stdio: "ignore" });
    const timer = setTimeout(() => {
      waiter.kill();
      resolve(false);
    }, ms);
    waiter.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

test("startTestbed({ dir }) makes the folder when it does not exist yet, and keeps it", async (t) => {
  const parent = await mkdtemp(join(tmpdir(), "shoal-testbed-dir-"));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const dir = join(parent, "new", "deeper");
  const testbed = await startTestbed({ hosts: 1, dir });
  assert.equal(testbed.dir, dir);
  await testbed.stop();
  assert.ok(existsSync(join(dir, "inventory.yml")));
  // Started again on the folder it kept (it failed: EEXIST on the host's folder), it serves as before.
  const again = await startTestbed({ hosts: 1, dir });
  t.after(() => again.stop());
  const inventory = await Inventory.load(again.inventoryFile);
  await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false });
  const [r] = await fleet.run("echo again").results();
  assert.equal(r!.stdout, "again\n", JSON.stringify(r));
});
