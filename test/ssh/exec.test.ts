/**
 * Commands against OpenSSH's sshd: exit codes and signals, large outputs streamed, stdin streamed,
 * pty, environment, shells, and run()'s input/check/timeout.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { AutoAddPolicy, CommandError, SSHClient, SSHException, SSHTimeoutError } from "../../src/ssh/index.js";
import type { Channel } from "../../src/ssh/index.js";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;
let client: SSHClient;

before(async () => {
  sshd = await startSshd();
  client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
});
after(async () => {
  await client?.close();
  await sshd?.stop();
});

test("execCommand: stdout, stderr and the exit status", async () => {
  const { stdout, stderr } = await client.execCommand("echo out; echo err >&2; exit 3");
  assert.equal(await stdout.text(), "out\n");
  assert.equal(await stderr.text(), "err\n");
  assert.equal(await stdout.channel.recvExitStatus(), 3);
  assert.equal(stdout.channel.exitStatusReady(), true);
});

test("run: exit status, signal, and check", async () => {
  assert.deepEqual(await client.run("printf hi; exit 42"), { stdout: "hi", stderr: "", exitStatus: 42, exitSignal: null });
  const killed = await client.run("kill -TERM $$");
  assert.equal(killed.exitSignal, "TERM");
  assert.equal(killed.exitStatus, -1);
  await assert.rejects(client.run("exit 7", { check: true }), (error: unknown) => error instanceof CommandError && error.exitStatus === 7);
  await assert.rejects(client.run("kill -KILL $$", { check: true }), (error: unknown) => error instanceof CommandError && error.exitSignal === "KILL");
  assert.equal((await client.run("true", { check: true })).exitStatus, 0);
});

test("run: input goes to stdin", async () => {
  const result = await client.run("tr a-z A-Z", { input: "hello\n" });
  assert.equal(result.stdout, "HELLO\n");
});

test("100 MiB through stdout, streamed without holding it in memory", async () => {
  const size = 100 * 1024 * 1024;
  const { stdout } = await client.execCommand(`head -c ${size} /dev/zero`);
  const before = process.memoryUsage().rss;
  let peak = before;
  let buffered = 0;
  let received = 0;
  for await (const chunk of stdout.stream) {
    received += (chunk as Buffer).length;
    // What the stream holds is bounded by the channel window (2 MiB), however large the output.
    buffered = Math.max(buffered, stdout.stream.readableLength);
    if (received % (8 * 1024 * 1024) < 65536) peak = Math.max(peak, process.memoryUsage().rss);
  }
  assert.equal(received, size);
  assert.equal(await stdout.channel.recvExitStatus(), 0);
  assert.ok(buffered <= 4 * 1024 * 1024, `the stream buffered ${buffered} bytes`);
  // Garbage awaits collection, but the 100 MiB are never all held.
  assert.ok(peak - before < 96 * 1024 * 1024, `rss grew by ${((peak - before) / 1048576).toFixed(1)} MiB`);
});

test("stdin streaming: 16 MiB written in chunks, with backpressure, then EOF", async () => {
  const { stdin, stdout } = await client.execCommand("sha256sum");
  const hash = createHash("sha256");
  for (let i = 0; i < 64; i++) {
    // A fresh buffer each time: a stream keeps the written buffer until it is sent.
    const chunk = Buffer.alloc(256 * 1024, i);
    hash.update(chunk);
    await stdin.write(chunk);
  }
  await stdin.close();
  assert.equal((await stdout.text()).split(" ")[0], hash.digest("hex"));
});

test("line reading: readline, lines(), iteration", async () => {
  const { stdout } = await client.execCommand("printf 'a\\nb\\nc'");
  assert.equal(await stdout.readline(), "a\n");
  const rest: string[] = [];
  for await (const line of stdout) rest.push(line);
  // Each with its line end, as iterating a paramiko file (the last line has none).
  assert.deepEqual(rest, ["b\n", "c"]);
  const stripped: string[] = [];
  for await (const line of (await client.execCommand("printf 'a\\r\\nb\\nc'")).stdout.lines()) stripped.push(line);
  assert.deepEqual(stripped, ["a", "b", "c"]);
});

test("pty: getPty gives the command a terminal", async () => {
  assert.equal((await client.run("tty -s && echo tty || echo none")).stdout, "none\n");
  const withPty = await client.run("tty", { getPty: { term: "xterm", width: 100, height: 30 } });
  assert.match(withPty.stdout, /^\/dev\/pts\/\d+\r\n$/);
  assert.equal((await client.run("stty size", { getPty: { width: 100, height: 30 } })).stdout, "30 100\r\n");
});

test("environment: accepted variables arrive (sshd AcceptEnv SHOAL_*), others are dropped silently", async () => {
  const result = await client.run('echo "$SHOAL_COLOR-$NOT_ACCEPTED"', { environment: { SHOAL_COLOR: "blue", NOT_ACCEPTED: "x" } });
  assert.equal(result.stdout, "blue-\n");
});

test("invokeShell: an interactive shell on a pty", async () => {
  const channel = await client.invokeShell({ term: "dumb" });
  // A client's stderr is refused in words (ssh2 sends extended data only as a server), not lost.
  assert.throws(() => channel.sendStderr("x"), /cannot send on stderr/);
  await assert.rejects(channel.sendallStderr("x"), /cannot send on stderr/);
  await channel.sendall("echo shell-$((6*7))\nexit 5\n");
  const output = await channel.makefile().text();
  assert.match(output, /shell-42/);
  assert.equal(await channel.recvExitStatus(), 5);
});

test("setCombineStderr and recv", async () => {
  const channel = await (await client.getTransport()!.openSession());
  channel.setCombineStderr(true);
  await channel.execCommand("echo one; sleep 0.05; echo two >&2");
  const chunks: Buffer[] = [];
  for (let data = await channel.recv(1024); data.length > 0; data = await channel.recv(1024)) chunks.push(data);
  assert.equal(Buffer.concat(chunks).toString(), "one\ntwo\n");
  assert.equal(await channel.recvExitStatus(), 0);
});

test("execCommand timeout: a read that waits longer rejects TimeoutError (phase read)", async () => {
  const { stdout } = await client.execCommand("exec sleep 5", { timeout: 150 });
  const start = performance.now();
  await assert.rejects(stdout.read(10), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "read" && error.name === "TimeoutError");
  assert.ok(performance.now() - start < 2000);
  stdout.channel.signal("KILL");
  assert.equal((await stdout.channel.recvExit()).exitSignal, "KILL");
});

test("run timeout: a command that never ends is killed (phase command)", async () => {
  const start = performance.now();
  // `exec`: the KILL goes to the command's own process (a shell's children would survive it, as with OpenSSH's ssh).
  await assert.rejects(client.run("exec sleep 60", { timeout: 200 }), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "command");
  assert.ok(performance.now() - start < 3000);
  // The connection is still usable.
  assert.equal((await client.run("echo alive")).stdout, "alive\n");
});

test("run signal: aborting ends the command", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 100);
  await assert.rejects(client.run("exec sleep 60", { signal: controller.signal }), /stop/);
});

test("many commands on one connection, one after another and in parallel", async () => {
  for (let i = 0; i < 5; i++) assert.equal((await client.run(`echo ${i}`)).stdout, `${i}\n`);
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => client.run(`echo ${i}`)));
  assert.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 8 }, (_, i) => `${i}\n`),
  );
});

function closeOf(channel: Channel): Promise<void> {
  return new Promise((resolve) => (channel.closed ? resolve() : channel.stream!.once("close", () => resolve())));
}

test("writing to a channel whose input is closed rejects SSHException, as paramiko's send raises (it used to hang, or drop the bytes)", { timeout: 20_000 }, async () => {
  const isClosedInput = (error: unknown) => error instanceof SSHException && /input is closed/.test(error.message);
  // The command is gone and the channel closed.
  const exited = await client.execCommand("true");
  await exited.stdout.text();
  await closeOf(exited.stdout.channel);
  await assert.rejects(exited.stdin.write("late"), isClosedInput);
  assert.throws(() => exited.stdout.channel.send("late"), isClosedInput);
  // EOF sent by us.
  const cat = await client.execCommand("cat");
  await cat.stdin.close();
  await assert.rejects(cat.stdin.write("after EOF"), isClosedInput);
  assert.equal(await cat.stdout.text(), "");
  // Closed by us while the command runs.
  const session = await client.getTransport()!.openSession();
  await session.execCommand("cat");
  await session.close();
  assert.throws(() => session.send("x"), isClosedInput);
  await assert.rejects(session.sendall("x"), isClosedInput);
  // A write waiting for the window when the command exits without reading it all.
  const head = await client.execCommand("head -c 1 >/dev/null");
  const output = head.stdout.text();
  await assert.rejects(head.stdin.write(Buffer.alloc(16 * 1024 * 1024)), isClosedInput);
  assert.equal(await output, "");
  assert.equal(await head.stdout.channel.recvExitStatus(), 0);
});

test("recvExitStatus and recvExit take a timeout and a signal (they could only wait forever)", { timeout: 20_000 }, async () => {
  const { stdout } = await client.execCommand("sleep 30");
  const channel = stdout.channel;
  await assert.rejects(channel.recvExitStatus({ timeout: 100 }), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "command");
  const controller = new AbortController();
  const waiting = channel.recvExit({ signal: controller.signal });
  controller.abort(new Error("no longer wanted"));
  await assert.rejects(waiting, /no longer wanted/);
  await assert.rejects(channel.recvExit({ timeout: -1 }), RangeError);
  assert.equal(channel.exitStatusReady(), false);
  channel.signal("KILL");
  assert.equal((await channel.recvExit({ timeout: 10_000 })).exitSignal, "KILL");
});

test("Channel.close() lets go of a write waiting for the window, and of stdin.close(), though the command runs on", { timeout: 20_000 }, async () => {
  const isClosedInput = (error: unknown) => error instanceof SSHException && /input is closed/.test(error.message);
  // sleep reads nothing and outlives the test: sshd closes the channel only when it exits, and until
  // then ssh2 neither took the write nor ended the stream, so both waited that long.
  const sleeper = await client.execCommand("sleep 30");
  const channel = sleeper.stdout.channel;
  // More than the window sshd opens: the write waits for the command to read.
  const write = sleeper.stdin.write(Buffer.alloc(16 * 1024 * 1024));
  write.catch(() => {});
  await channel.close();
  await assert.rejects(write, isClosedInput);
  await sleeper.stdin.close();
  await assert.rejects(sleeper.stdin.write("late"), isClosedInput);
});
