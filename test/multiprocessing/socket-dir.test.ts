/**
 * Unix socket paths stay within what the system takes: a long TMPDIR falls back to /tmp, as in
 * Python 3.13, and a socket path given that is too long is refused (Node would cut it short).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Listener, Client } from "../../src/multiprocessing/index.js";

test("with a TMPDIR too long for socket paths, pipes and listeners work from /tmp", async (t) => {
  const top = mkdtempSync(join(tmpdir(), "shoal-long-tmpdir-"));
  t.after(() => rmSync(top, { recursive: true, force: true }));
  const long = join(top, "a".repeat(40), "b".repeat(40));
  mkdirSync(long, { recursive: true });
  const index = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const script = `
    const { Pipe, Listener, Client } = await import(${JSON.stringify(index)});
    const [a, b] = await Pipe();
    const [c, d] = await Pipe();
    await a.send("one"); await c.send("two");
    console.log(await b.recv(), await d.recv());
    const listener = new Listener();
    console.log(listener.address.startsWith("/tmp/shoal-"));
    const accepted = listener.accept();
    const client = await Client(listener.address);
    await client.send("three");
    console.log(await (await accepted).recv());
    client.close(); listener.close(); a.close(); b.close(); c.close(); d.close();
  `;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, TMPDIR: long }, timeout: 30_000 });
  assert.equal(stderr, "");
  assert.equal(stdout, "one two\ntrue\nthree\n");
});

test("a unix socket path too long is refused, saying so, not cut short", async () => {
  const path = join(tmpdir(), "x".repeat(120) + ".sock");
  assert.throws(() => new Listener({ address: path }), (error: unknown) => error instanceof RangeError && /the unix socket path ".*" is too long \(\d+ bytes; at most 10[37]\)/.test(error.message));
  await assert.rejects(Client(path), /is too long/);
});

test("a new socket directory sweeps those of this user's processes that are gone, and only those", async (t) => {
  const base = mkdtempSync(join(tmpdir(), "shoal-sweep-"));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  // A process that has ended: its pid is free (for now).
  const dead = await new Promise<number>((resolve) => {
    const child = execFile(process.execPath, ["-e", "0"], () => resolve(child.pid!));
  });
  const old = (Date.now() - 120_000) / 1000;
  const dir = (name: string, age: number | null = old): string => {
    const path = join(base, name);
    mkdirSync(path);
    if (age !== null) utimesSync(path, age, age);
    return path;
  };
  const stale = dir(`shoal-${dead}-AbC123`);
  const staleWithDeadSocket = dir(`shoal-${dead}-Dead12`);
  writeFileSync(join(staleWithDeadSocket, "pipe-1-abcdef.sock"), ""); // nothing listens on it
  utimesSync(staleWithDeadSocket, old, old);
  const live = dir(`shoal-${process.pid}-Live99`);
  const young = dir(`shoal-${dead}-Young1`, null); // made a moment ago: maybe about to listen
  const answering = dir(`shoal-${dead}-Answer`); // a pid not seen here (another container), its socket answering
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(join(answering, "server-1-abcdef.sock"), resolve));
  t.after(() => server.close());
  utimesSync(answering, old, old);
  const other = dir(`shoal-${dead}-notours-file`);
  const socketDir = new URL("../../src/multiprocessing/socket-dir.js", import.meta.url).href;
  const index = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const script = `
    const { socketDir, staleDirsSwept } = await import(${JSON.stringify(socketDir)});
    const { Pipe } = await import(${JSON.stringify(index)});
    const { rmSync } = await import("node:fs");
    const mine = socketDir();
    console.log(mine.startsWith(${JSON.stringify(base)}));
    await staleDirsSwept();
    // Swept by someone else: made again when needed.
    rmSync(mine, { recursive: true, force: true });
    const [a, b] = await Pipe();
    await a.send("still works");
    console.log(await b.recv());
    a.close(); b.close();
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, TMPDIR: base }, timeout: 30_000 });
  assert.equal(stdout, "true\nstill works\n");
  assert.equal(existsSync(stale), false, "a gone process's directory is removed");
  assert.equal(existsSync(staleWithDeadSocket), false, "with a socket nothing listens on, too");
  assert.equal(existsSync(live), true, "a running process's is kept");
  assert.equal(existsSync(young), true, "a young one is kept");
  assert.equal(existsSync(answering), true, "one whose socket answers is kept");
  assert.equal(existsSync(other), true, "a name not of the pattern is kept");
});
