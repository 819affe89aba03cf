/**
 * A host that drops the connection mid-transfer (or mid-command) ends, at once, in its one right
 * state: `unreachable`, `connection lost`; and nothing half-copied is left under the real name.
 * (ssh2 alone never calls fastPut/fastGet back on a dropped connection: these runs used to hang.)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, open, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed } from "../../src/testbed/index.js";
import type { Testbed } from "../../src/testbed/index.js";
import { Inventory } from "../../src/fleet/inventory.js";
import { Fleet } from "../../src/fleet/fleet.js";
import type { FleetRun } from "../../src/fleet/fleet.js";
import type { HostResult } from "../../src/fleet/events.js";

let testbed: Testbed;
let inventory: Inventory;
let dir: string;
const savedEnv = { ...process.env };
const SIZE = 2_000_000;

before(async () => {
  // 2 MB/s: a 2 MB copy takes about a second there, and the drop comes 100 ms into it.
  testbed = await startTestbed({ hosts: 4, faults: { web01: { drop: true, slow: 2 } } });
  Object.assign(process.env, testbed.env());
  inventory = await Inventory.load(testbed.inventoryFile);
  dir = await mkdtemp(join(tmpdir(), "shoal-drop-"));
});

after(async () => {
  for (const k of Object.keys(testbed.env())) if (!(k in savedEnv)) delete process.env[k];
  await testbed.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs to the end (or fails the test after `boundMs`), checking that every host ends exactly once. */
async function finish(run: FleetRun, boundMs: number): Promise<Map<string, HostResult>> {
  const done = new Map<string, HostResult>();
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run did not end within ${boundMs} ms; ended: ${[...done.keys()].join(",")}`)), boundMs);
  });
  try {
    await Promise.race([
      (async () => {
        for await (const ev of run) {
          if (ev.type !== "done") continue;
          assert.equal(done.has(ev.host), false, `${ev.host} ended twice`);
          done.set(ev.host, ev.result);
        }
      })(),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
  assert.ok(performance.now() - t0 < boundMs);
  assert.deepEqual([...done.keys()].sort(), ["cache01", "db01", "web01", "web02"]);
  return done;
}

function assertDropped(done: Map<string, HostResult>): void {
  const r = done.get("web01")!;
  assert.equal(r.state, "unreachable", `web01: ${r.state} ${r.reason ?? ""}`);
  assert.equal(r.kind, "channel");
  assert.equal(r.reason, "connection lost");
  for (const name of ["web02", "db01", "cache01"]) assert.equal(done.get(name)!.state, "ok", `${name}: ${done.get(name)!.reason ?? ""}`);
}

test("put to a host that drops mid-transfer ends unreachable, leaving no file under the real name", async () => {
  const local = join(dir, "payload.bin");
  await writeFile(local, randomBytes(SIZE));
  await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false });
  const done = await finish(fleet.put(local, "payload.bin"), 15_000);
  assertDropped(done);
  await assert.rejects(stat(join(testbed.host("web01").dir, "payload.bin")), { code: "ENOENT" });
  assert.equal((await stat(join(testbed.host("web02").dir, "payload.bin"))).size, SIZE);
});

test("get from a host that drops mid-transfer ends unreachable, leaving nothing locally", async () => {
  const data = randomBytes(SIZE);
  for (const h of testbed.hosts) await writeFile(join(h.dir, "fetch.bin"), data);
  const into = join(dir, "got");
  await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false });
  const done = await finish(fleet.get("fetch.bin", into), 15_000);
  assertDropped(done);
  assert.deepEqual(await readdir(join(into, "web01")).catch(() => []), [], "nothing, not even an empty folder");
  assert.equal((await stat(join(into, "db01", "fetch.bin"))).size, SIZE);
});

test("run on a host that drops mid-command ends unreachable with connection lost", async () => {
  await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false });
  const done = await finish(fleet.run("sleep 0.5; echo ok", { timeout: 10_000 }), 15_000);
  assertDropped(done);
});

test("put and get: a host slower than --timeout ends timeout, and a cancel stops a copy mid-file", async (t) => {
  // web01 moves 0.5 MB/s: 2 MB there take 4 s; web02 is fast.
  const slowbed = await startTestbed({ hosts: 2, address: "127.0.11.1", faults: { web01: { slow: 0.5 } } });
  t.after(() => slowbed.stop());
  Object.assign(process.env, slowbed.env());
  const hosts = (await Inventory.load(slowbed.inventoryFile)).select("all");
  const local = join(dir, "slow.bin");
  await writeFile(local, randomBytes(SIZE));
  await using fleet = new Fleet(hosts, { sshConfig: false, agent: false });

  let t0 = performance.now();
  const timedOut = new Map((await fleet.put(local, "slow.bin", { timeout: 800 }).results()).map((r) => [r.host, r]));
  assert.ok(performance.now() - t0 < 3000, `put took ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(timedOut.get("web01")!.state, "timeout");
  assert.equal(timedOut.get("web01")!.reason, "transfer timed out after 800ms");
  assert.equal(timedOut.get("web02")!.state, "ok");
  await assert.rejects(stat(join(slowbed.host("web01").dir, "slow.bin")), { code: "ENOENT" });

  for (const h of slowbed.hosts) await writeFile(join(h.dir, "slow-get.bin"), randomBytes(SIZE));
  const got = await fleet.get("slow-get.bin", join(dir, "slow-got"), { timeout: 800, hosts: ["web01"] }).results();
  assert.deepEqual(got.map((r) => [r.host, r.state, r.reason]), [["web01", "timeout", "transfer timed out after 800ms"]]);
  assert.deepEqual(await readdir(join(dir, "slow-got", "web01")).catch(() => []), []);

  t0 = performance.now();
  const run = fleet.put(local, "slow2.bin", { hosts: ["web01"] });
  const states: string[] = [];
  let cancel: NodeJS.Timeout | undefined;
  for await (const ev of run) {
    // Well into the copy (which takes 4 s there), as a person pressing Ctrl-C.
    if (ev.type === "connected") cancel = setTimeout(() => run.cancel(), 300);
    if (ev.type === "done") states.push(ev.result.state);
  }
  clearTimeout(cancel);
  assert.deepEqual(states, ["killed"]);
  assert.ok(performance.now() - t0 < 3000, `the cancelled put took ${(performance.now() - t0).toFixed(0)} ms`);
});

/** Runs `run` to its end, calling `midway` once, when a host's transfer has passed `bytes`. */
async function transferWith(run: FleetRun, host: string, bytes: number, midway: () => Promise<void>): Promise<Map<string, HostResult>> {
  const done = new Map<string, HostResult>();
  let fired = false;
  for await (const ev of run) {
    if (ev.type === "progress" && ev.host === host && ev.bytes >= bytes && !fired) {
      fired = true;
      await midway();
    }
    if (ev.type === "done") done.set(ev.host, ev.result);
  }
  assert.ok(fired, "the transfer was seen midway");
  return done;
}

test("a file that shrinks or changes under a put or a get (logrotate's copytruncate) fails that host, installing nothing", async () => {
  // A host of its own, and a file large enough to be seen midway (progress comes every 100 ms).
  const BIG = 48_000_000;
  const testbedSlow = await startTestbed({ hosts: 1 });
  try {
    Object.assign(process.env, testbedSlow.env());
    const slowInventory = await Inventory.load(testbedSlow.inventoryFile);
    const host = testbedSlow.hosts[0]!;
    // get: the remote file is truncated midway.
    await writeFile(join(host.dir, "log.bin"), randomBytes(BIG));
    const into = join(dir, "shrunk");
    {
      await using fleet = new Fleet(slowInventory.select("all"), { sshConfig: false, agent: false });
      const done = await transferWith(fleet.get("log.bin", into), host.name, 1, () => truncate(join(host.dir, "log.bin"), 1000));
      const r = done.get(host.name)!;
      assert.equal(r.state, "failed", `${r.state}: ${r.reason ?? ""}`);
      assert.match(r.reason ?? "", /log\.bin shrank during the copy \(it had 48000000 bytes\); nothing was saved/);
      assert.deepEqual(await readdir(join(into, host.name)).catch(() => []), []);
    }
    // put: the local file is truncated midway, then (another run) overwritten in place.
    const local = join(dir, "app.log");
    for (const [change, expected] of [
      [() => truncate(local, 1000), /app\.log shrank during the copy \(it had 48000000 bytes\); nothing was installed/],
      [async () => {
        const handle = await open(local, "r+");
        await handle.write(Buffer.alloc(4096, 1), 0, 4096, 0);
        await handle.close();
      }, /app\.log changed during the copy; nothing was installed/],
    ] as const) {
      await writeFile(local, randomBytes(BIG));
      await using fleet = new Fleet(slowInventory.select("all"), { sshConfig: false, agent: false });
      const done = await transferWith(fleet.put(local, "app.log"), host.name, 1, change);
      const r = done.get(host.name)!;
      assert.equal(r.state, "failed", `${r.state}: ${r.reason ?? ""}`);
      assert.match(r.reason ?? "", expected);
      assert.deepEqual((await readdir(host.dir)).filter((name) => name.includes("app.log")), [], "nothing installed, no temporary file left");
    }
  } finally {
    for (const k of Object.keys(testbedSlow.env())) if (!(k in savedEnv)) delete process.env[k];
    await testbedSlow.stop();
  }
});
