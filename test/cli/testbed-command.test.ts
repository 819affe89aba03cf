import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect as netConnect } from "node:net";
import { parse } from "yaml";
import ssh2 from "ssh2";

const MAIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));

function start(args: string[]): { child: ChildProcess; stderr: () => string; ready: Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, "testbed", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("ready; Ctrl-C stops it")) resolve();
    });
    child.once("exit", () => reject(new Error(`shoal testbed exited early: ${err}`)));
  });
  ready.catch(() => {}); // awaited only by the tests that expect it to start
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stderr: () => err, ready, exit };
}

test("shoal testbed writes a ready inventory, serves it, and stops on Ctrl-C", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-testbed-cli-"));
  const inventoryFile = join(dir, "my fleet.yml"); // a space: the hint quotes it
  const run = start(["--groups", "web=3,db=2", "--inventory", inventoryFile, "--hang", "web02", "--refuse", "1", "--latency", "30@db01", "--seed", "7"]);
  t.after(async () => {
    run.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });
  await run.ready;
  assert.ok(run.stderr().includes(`try: shoal run -i '${inventoryFile}' @web -- hostname`), run.stderr());
  const inventory = parse(await readFile(inventoryFile, "utf8")) as {
    defaults: { port: number; user: string; identity_file: string; known_hosts: string };
    groups: Record<string, { hosts: { host: string; hostname: string; testbed_fault?: string }[] }>;
  };
  const hosts = Object.values(inventory.groups).flatMap((g) => g.hosts ?? []);
  assert.deepEqual(hosts.map((h) => h.host), ["web01", "web02", "web03", "db01", "db02"]);
  assert.equal(hosts.find((h) => h.host === "web02")?.testbed_fault, "hang");
  assert.equal(hosts.find((h) => h.host === "db01")?.testbed_fault?.includes("latency 30ms"), true);
  assert.equal(hosts.filter((h) => h.testbed_fault?.includes("refuse")).length, 1);
  const password = /export SHOAL_TESTBED_PASSWORD=(\S+)/.exec(run.stderr())?.[1];
  assert.ok(password);

  const healthy = hosts.find((h) => h.testbed_fault === undefined)!;
  const output = await new Promise<string>((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("error", reject);
    client.on("ready", () =>
      client.exec("hostname", (err, channel) => {
        if (err) return reject(err);
        let out = "";
        channel.on("data", (d: Buffer) => (out += d.toString()));
        channel.on("close", () => {
          client.end();
          resolve(out);
        });
      }),
    );
    client.connect({ host: healthy.hostname, port: inventory.defaults.port, username: inventory.defaults.user, password });
  });
  assert.equal(output, `${healthy.host}\n`);

  run.child.kill("SIGINT");
  assert.equal(await run.exit, 0);
  await assert.rejects(
    new Promise((resolve, reject) => {
      const socket = netConnect({ host: healthy.hostname, port: inventory.defaults.port }, () => resolve(socket));
      socket.once("error", reject);
    }),
    /ECONNREFUSED/,
  );
});

test("shoal testbed prints the inventory on stdout without --inventory, and refuses bad flags with status 64", async () => {
  const bad = start(["--hang", "nosuchhost"]);
  assert.equal(await bad.exit, 64);
  assert.match(bad.stderr(), /Cannot set faults on "nosuchhost"/);
  const badGroups = start(["--groups", "web:3"]);
  assert.equal(await badGroups.exit, 64);
  assert.match(badGroups.stderr(), /Invalid --groups/);
  const badLatency = start(["--latency", "soon"]);
  assert.equal(await badLatency.exit, 64);

  const printing = start(["--hosts", "2"]);
  let stdout = "";
  printing.child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  await printing.ready;
  printing.child.kill("SIGINT");
  assert.equal(await printing.exit, 0);
  const inventory = parse(stdout) as { groups: Record<string, unknown> };
  assert.deepEqual(Object.keys(inventory.groups), ["web"]);
});

/** The folder `shoal testbed` says it keeps its files in. */
const filesDir = (stderr: string): string => /^ {2}files: (.+)$/m.exec(stderr)![1]!;

test("shoal testbed --dir makes a folder that does not exist yet, and refuses one that cannot be (status 64, naming --dir)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-testbed-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const wanted = join(dir, "new", "deeper");
  const run = start(["--hosts", "1", "--dir", wanted]);
  t.after(() => run.child.kill("SIGKILL"));
  await run.ready;
  assert.equal(filesDir(run.stderr()), wanted);
  run.child.kill("SIGINT");
  assert.equal(await run.exit, 0);
  // A folder the user named is kept.
  assert.match(await readFile(join(wanted, "inventory.yml"), "utf8"), /web01/);

  await writeFile(join(dir, "a-file"), "");
  for (const bad of [join(dir, "a-file"), join(dir, "a-file", "below")]) {
    const refused = start(["--hosts", "1", "--dir", bad]);
    assert.equal(await refused.exit, 64);
    assert.match(refused.stderr(), new RegExp(`^shoal: Invalid --dir "${bad}": .*not a folder\\n$`));
  }
});

test("shoal testbed --per-host-credentials prints each host's password variable, as the inventory names it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-testbed-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const inventoryFile = join(dir, "tb.yml");
  const run = start(["--hosts", "2", "--per-host-credentials", "--inventory", inventoryFile]);
  t.after(() => run.child.kill("SIGKILL"));
  await run.ready;
  const inventory = parse(await readFile(inventoryFile, "utf8")) as { groups: Record<string, { hosts: { host: string; password_env: string }[] }> };
  const named = Object.values(inventory.groups).flatMap((g) => g.hosts.map((h) => h.password_env));
  const printed = [...run.stderr().matchAll(/export (\w+)=\S+/g)].map((m) => m[1]);
  assert.deepEqual(printed, named);
  assert.deepEqual(named, ["SHOAL_TESTBED_PASSWORD_WEB01", "SHOAL_TESTBED_PASSWORD_WEB02"]);
  run.child.kill("SIGINT");
  assert.equal(await run.exit, 0);
});

test("shoal testbed removes its temporary folder on SIGHUP, and on SIGTERM after its stderr reader is gone", async () => {
  const hungUp = start(["--hosts", "1"]);
  await hungUp.ready;
  const first = filesDir(hungUp.stderr());
  hungUp.child.kill("SIGHUP");
  assert.equal(await hungUp.exit, 0);
  assert.equal(existsSync(first), false, `${first} is left behind after SIGHUP`);

  const unread = start(["--hosts", "1"]);
  await unread.ready;
  const second = filesDir(unread.stderr());
  // `shoal testbed 2>&1 | head -2`: the reader goes, then the testbed is killed.
  unread.child.stderr!.destroy();
  unread.child.stdout!.destroy();
  unread.child.kill("SIGTERM");
  await unread.exit;
  assert.equal(existsSync(second), false, `${second} is left behind after SIGTERM with nobody reading stderr`);
});
