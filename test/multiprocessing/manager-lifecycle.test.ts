/**
 * A manager's server process: started and shut down, gone when its owner is killed, and what
 * happens to a managed Lock whose holder dies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { Manager, Process, EOFError, ProcessError, type ProxyToken } from "../../src/multiprocessing/index.js";
import { holdLockForever } from "./manager-fixtures.js";
import { runProcess } from "../fixtures/run-process.js";

const FIXTURES = fileURLToPath(new URL("./manager-fixtures.js", import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for a process this test did not start to end: there is nothing to await. */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(25);
  }
  return !alive(pid);
}

test("await using ends the server process at the end of the block", async () => {
  let pid: number | null;
  let token: ProxyToken;
  {
    await using manager = await Manager.start();
    pid = manager.pid;
    assert.ok(pid !== null && alive(pid));
    const d = await manager.dict({ x: 1 });
    token = d.token;
    assert.equal(token.typeid, "dict");
    assert.equal(await d.get("x"), 1);
  }
  assert.equal(await waitGone(pid, 5000), true);
});

test("shutdown() stops the server; proxies then reject, and create() is refused", async () => {
  const manager = await Manager.start();
  const l = await manager.list([1]);
  await manager.shutdown();
  assert.equal(manager.state, "shutdown");
  await assert.rejects(l.len(), EOFError);
  await assert.rejects(l.append(2), EOFError, "a posted call too");
  await assert.rejects(manager.list(), ProcessError);
  await manager.shutdown(); // twice is fine
});

test("after the server process is killed, every call rejects EOFError (not a raw socket error), with the cause", async () => {
  const manager = await Manager.start();
  const d = await manager.dict<string, number>();
  await d.set("a", 1);
  process.kill(manager.pid!, "SIGKILL");
  assert.equal(await waitGone(manager.pid!, 10_000), true);
  for (let i = 0; i < 3; i++) {
    await assert.rejects(d.get("a"), (error: Error) => {
      assert.ok(error instanceof EOFError, `call ${i}: ${error}`);
      assert.match(error.message, /^Cannot reach the manager at /);
      assert.ok(error.cause instanceof Error);
      return true;
    });
  }
});

test("the server process ends when its owner is killed with SIGKILL", async (t) => {
  const owner = spawn(process.execPath, [FIXTURES, "owner"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => owner.kill("SIGKILL"));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: owner.stdout }).once("line", resolve);
    owner.once("exit", (code) => reject(new Error(`owner exited early with ${code}`)));
  });
  const { server } = JSON.parse(line) as { server: number };
  assert.ok(alive(server), "the server runs while its owner does");
  owner.kill("SIGKILL");
  assert.equal(await waitGone(server, 10_000), true, `server ${server} outlived its killed owner`);
});

test("shutdown() with locks still held by this process says nothing about abandoned locks (nobody died)", async () => {
  const index = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const script = `
    import { Manager } from ${JSON.stringify(index)};
    for (let round = 0; round < 3; round++) {
      const manager = await Manager.start();
      const lock = await manager.Lock();
      const rlock = await manager.RLock();
      await lock.acquire();
      await rlock.acquire();
      await manager.shutdown();
    }
    console.log("done");
  `;
  const ran = await runProcess(process.execPath, ["--input-type=module", "-e", script]);
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(ran.stdout.trim(), "done");
  assert.equal(ran.stderr, "", "no report of a lock released for a dead client");
});

test("a client that dies holding a Lock: the server releases it for the others", async () => {
  await using manager = await Manager.start();
  const lock = await manager.Lock();
  const taken = await manager.Event();
  const holder = new Process({ target: holdLockForever, args: [lock, taken] });
  holder.start();
  assert.equal(await taken.wait({ timeout: 20_000 }), true);
  assert.equal(await lock.acquire({ timeout: 50 }), false, "held by the child");
  holder.kill();
  await holder.join();
  assert.equal(await lock.acquire({ timeout: 10_000 }), true, "released when the holder's connection ended");
  await lock.release();
});
