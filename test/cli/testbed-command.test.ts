import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
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
