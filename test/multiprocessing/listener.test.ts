import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { once } from "node:events";
import v8 from "node:v8";
import { Listener, Client, AuthenticationError, wait, Pipe, EOFError, ProcessError, TimeoutError } from "../../src/multiprocessing/index.js";
import { frameOf } from "../../src/multiprocessing/framing.js";

const KEY = Buffer.from("the right key");

/** Counts v8 deserializations in this process while `fn` runs. */
async function countingDeserializations<T>(fn: () => Promise<T>): Promise<{ result: T; count: number }> {
  const proto = v8.Deserializer.prototype as unknown as { readValue: () => unknown };
  const original = proto.readValue;
  let count = 0;
  proto.readValue = function (this: unknown) {
    count += 1;
    return original.call(this);
  };
  try {
    return { result: await fn(), count };
  } finally {
    proto.readValue = original;
  }
}

test("Listener and Client with an authkey talk over a unix socket", async (t) => {
  const listener = new Listener({ authkey: KEY });
  t.after(() => listener.close());
  assert.equal(typeof listener.address, "string");
  const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: KEY })]);
  t.after(() => (server.close(), client.close()));
  await client.send({ hello: "world" });
  assert.deepEqual(await server.recv(), { hello: "world" });
  await server.send("welcome");
  assert.equal(await client.recv(), "welcome");
  assert.equal(listener.lastAccepted, null);
});

test("close() ends an accept() waiting for it, also one called just before and one on a listener not bound yet", async () => {
  const closed = (error: Error): boolean => error instanceof ProcessError && error.message === "Cannot accept: listener is closed";
  for (const address of [undefined, ["127.0.0.1", 0] as [string, number]]) {
    const bound = new Listener({ address });
    await bound.ready();
    const later = bound.accept();
    setImmediate(() => bound.close());
    await assert.rejects(later, closed);
    const rebound = new Listener({ address });
    await rebound.ready();
    const atOnce = rebound.accept();
    rebound.close();
    await assert.rejects(atOnce, closed);
    const unbound = new Listener({ address });
    const before = unbound.accept();
    unbound.close();
    await assert.rejects(before, closed);
    await assert.rejects(unbound.ready(), closed);
  }
});

test("Listener and Client over TCP on loopback, without authkey", async (t) => {
  const listener = new Listener({ address: ["127.0.0.1", 0] });
  t.after(() => listener.close());
  await listener.ready();
  const address = listener.address as readonly [string, number];
  assert.ok(address[1] > 0);
  const [server, client] = await Promise.all([listener.accept(), Client(address)]);
  t.after(() => (server.close(), client.close()));
  await client.send([1, 2, 3]);
  assert.deepEqual(await server.recv(), [1, 2, 3]);
  assert.equal((listener.lastAccepted as readonly [string, number])[0], "127.0.0.1");
});

test("a wrong authkey fails with AuthenticationError on both sides, and the listener keeps serving", async (t) => {
  const listener = new Listener({ authkey: KEY });
  t.after(() => listener.close());
  const refused = assert.rejects(listener.accept(), (error: unknown) => error instanceof AuthenticationError && /digest received was wrong/.test((error as Error).message));
  await assert.rejects(Client(listener.address, { authkey: "wrong key" }), AuthenticationError);
  await refused;
  const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: KEY })]);
  t.after(() => (server.close(), client.close()));
  await client.send("still here");
  assert.equal(await server.recv(), "still here");
});

test("a hostile client sending a serialized payload first is refused without deserializing anything", async (t) => {
  const listener = new Listener({ authkey: KEY });
  t.after(() => listener.close());
  const { result, count } = await countingDeserializations(async () => {
    const accepting = listener.accept().then(
      () => "accepted",
      (error: Error) => error,
    );
    const socket = connect(listener.address as string);
    t.after(() => socket.destroy());
    await new Promise((resolve) => socket.once("connect", resolve));
    // A valid-looking message, as a client that skips the handshake would send it.
    socket.write(frameOf(v8.serialize({ method: "shutdown", args: ["everything"] })));
    return accepting;
  });
  assert.ok(result instanceof AuthenticationError, `accept gave ${String(result)}`);
  assert.equal(count, 0, "nothing was deserialized before authentication");
});

test("oversized, garbage and truncated handshakes are refused with a clear error; the listener keeps serving", async (t) => {
  const listener = new Listener({ authkey: KEY, handshakeTimeout: 300 });
  t.after(() => listener.close());
  const hostile = async (bytes: Buffer, end: boolean): Promise<Error> => {
    const socket = connect(listener.address as string);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(bytes);
    if (end) socket.end();
    const outcome = await listener.accept().then(
      () => new Error("accepted"),
      (error: Error) => error,
    );
    socket.destroy();
    return outcome;
  };
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(2 ** 30);
  const oversized = await hostile(huge, false);
  assert.ok(oversized instanceof AuthenticationError);
  assert.match(oversized.message, /exceeds the limit of 256 bytes/);
  const garbage = await hostile(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false);
  assert.ok(garbage instanceof AuthenticationError, garbage.message);
  const truncated = await hostile(frameOf(Buffer.alloc(40)).subarray(0, 20), true);
  assert.ok(truncated instanceof AuthenticationError);
  assert.match(truncated.message, /ended|middle of a message|handshake/);
  const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: KEY })]);
  t.after(() => (server.close(), client.close()));
  await client.send("fine");
  assert.equal(await server.recv(), "fine");
});

test("an authenticated connection refuses a frame over its size limit and the listener keeps serving", async (t) => {
  const listener = new Listener({ authkey: KEY, maxMessageSize: 1024 });
  t.after(() => listener.close());
  const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: KEY })]);
  t.after(() => (server.close(), client.close()));
  await client.sendBytes(Buffer.alloc(4096));
  await assert.rejects(server.recv(), /exceeds the limit of 1024 bytes/);
  const [server2, client2] = await Promise.all([listener.accept(), Client(listener.address, { authkey: KEY })]);
  t.after(() => (server2.close(), client2.close()));
  await client2.send("ok");
  assert.equal(await server2.recv(), "ok");
});

test("Client to a listener that asks no key, with a key, fails clearly", async (t) => {
  const listener = new Listener();
  t.after(() => listener.close());
  const accepted = listener.accept();
  const connecting = Client(listener.address, { authkey: KEY, timeout: 5000 });
  const server = await accepted;
  server.close();
  await assert.rejects(connecting, AuthenticationError);
});

test("wait() returns the connections and listeners that are ready, or none at its timeout", async (t) => {
  const [a, b] = await Pipe();
  const [c, d] = await Pipe();
  const listener = new Listener();
  t.after(() => (a.close(), b.close(), c.close(), d.close(), listener.close()));
  assert.deepEqual(await wait([b, d, listener], { timeout: 30 }), []);
  await c.send(1);
  assert.deepEqual(await wait([b, d, listener], { timeout: 5000 }), [d]);
  const client = await Client(listener.address);
  t.after(() => client.close());
  const ready = await wait([b, listener], { timeout: 5000 });
  assert.deepEqual(ready, [listener]);
  a.close();
  assert.deepEqual(await wait([b], { timeout: 5000 }), [b]);
  await assert.rejects(b.recv(), EOFError);
  let settle!: () => void;
  const sentinel = new Promise<void>((resolve) => (settle = resolve));
  setTimeout(settle, 10);
  assert.deepEqual(await wait([sentinel], { timeout: 5000 }), [sentinel]);
});

test("wait() watches plain sockets, as Python's does: ready with bytes to read, at their end, and a 'data' reader keeps its flow", async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const accepted = once(server, "connection");
  const sock = connect((server.address() as AddressInfo).port, "127.0.0.1");
  await once(sock, "connect");
  const [peer] = (await accepted) as [Socket];
  t.after(() => (sock.destroy(), peer.destroy()));
  assert.deepEqual(await wait([sock], { timeout: 30 }), [], "nothing to read yet");
  peer.write("hello");
  assert.deepEqual(await wait([sock], { timeout: 5000 }), [sock]);
  assert.equal(String(sock.read()), "hello", "wait read nothing itself");
  // A socket read by 'data' events: waiting on it does not stop its flow.
  const received: string[] = [];
  sock.on("data", (chunk: Buffer) => received.push(String(chunk)));
  const waiting = wait([sock], { timeout: 5000 });
  peer.end("bye");
  assert.deepEqual(await waiting, [sock]);
  await once(sock, "end");
  assert.equal(received.join(""), "bye");
  assert.deepEqual(await wait([sock], { timeout: 5000 }), [sock], "an ended socket is ready");
});

test("a Python multiprocessing.connection Client with the same authkey talks to a shoal Listener", async (t) => {
  const { spawn, spawnSync } = await import("node:child_process");
  if (spawnSync("python3", ["--version"]).status !== 0) {
    t.skip("python3 is not installed");
    return;
  }
  const listener = new Listener({ address: ["127.0.0.1", 0], authkey: KEY });
  t.after(() => listener.close());
  await listener.ready();
  const port = (listener.address as readonly [string, number])[1];
  const script = [
    "import sys",
    "from multiprocessing.connection import Client",
    `c = Client(('127.0.0.1', ${port}), authkey=${JSON.stringify(KEY.toString())}.encode())`,
    "c.send_bytes(b'from python')",
    "sys.stdout.write(c.recv_bytes().decode())",
  ].join("\n");
  const python = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => python.kill());
  let out = "";
  python.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const conn = await listener.accept({ timeout: 20_000 });
  t.after(() => conn.close());
  assert.equal((await conn.recvBytes()).toString(), "from python");
  await conn.sendBytes(Buffer.from("from shoal"));
  assert.equal(await new Promise((resolve) => python.on("close", resolve)), 0);
  assert.equal(out, "from shoal");
});

test("Client's timeout covers a handshake the other side never answers", async (t) => {
  const { createServer } = await import("node:net");
  const silent = createServer(() => undefined);
  const path = `${(await import("node:os")).tmpdir()}/shoal-silent-${process.pid}.sock`;
  await new Promise<void>((resolve) => silent.listen(path, resolve));
  t.after(() => silent.close());
  const started = performance.now();
  await assert.rejects(Client(path, { authkey: KEY, timeout: 100 }), (error: Error) => error instanceof TimeoutError && /no handshake within 100 ms/.test(error.message));
  assert.ok(performance.now() - started < 5000);
});

test("accept({ signal }) aborted right after the call, or before it, rejects the signal's reason (it waited forever)", { timeout: 10_000 }, async (t) => {
  const listener = new Listener();
  t.after(() => listener.close());
  await listener.ready();
  const controller = new AbortController();
  const accepting = listener.accept({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(accepting, /^Error: stop$/);
  await assert.rejects(listener.accept({ signal: AbortSignal.abort(new Error("before")) }), /^Error: before$/);
});

test("accept({ timeout }) rejects TimeoutError, as every wait of the module does at its timeout", async (t) => {
  const listener = new Listener();
  t.after(() => listener.close());
  await assert.rejects(listener.accept({ timeout: 20 }), (error: Error) => error instanceof TimeoutError && error.message === "Cannot accept: no connection within 20 ms");
});

test("recv refuses a value whose shoal markers name modules outside the process-crossing kinds, importing nothing", async (t) => {
  const [a, b] = await Pipe();
  t.after(() => (a.close(), b.close()));
  const globals = globalThis as { shoalHostileRecv?: number };
  for (const module of ["data:text/javascript,globalThis.shoalHostileRecv=1", "file:///tmp/shoal-not-a-module.js"]) {
    await a.send({ __shoal_envelope__: 1, value: [{ __shoal_shareable__: "evil.Kind", module, data: null }] });
    await assert.rejects(b.recv(), (error: unknown) => error instanceof TypeError && /refusing to import its module/.test((error as Error).message));
  }
  assert.equal(globals.shoalHostileRecv, undefined);
  await a.send("still usable");
  assert.equal(await b.recv(), "still usable");
});

test("before authentication a 512 MiB frame is refused at once on both sides, without growing memory", async (t) => {
  const listener = new Listener({ authkey: KEY });
  t.after(() => listener.close());
  const announce = (socket: import("node:net").Socket): void => {
    const header = Buffer.alloc(4);
    header.writeInt32BE(512 * 1024 * 1024);
    socket.write(header);
    socket.write(Buffer.alloc(4 * 1024 * 1024, 7)); // the start of the "payload"
  };
  const rssBefore = process.memoryUsage().rss;
  // A client announcing the frame instead of answering the challenge.
  const socket = connect(listener.address as string);
  t.after(() => socket.destroy());
  socket.on("error", () => undefined);
  await new Promise((resolve) => socket.once("connect", resolve));
  const started = performance.now();
  announce(socket);
  const refused = await listener.accept().then(
    () => new Error("accepted"),
    (error: Error) => error,
  );
  assert.ok(refused instanceof AuthenticationError, refused.message);
  assert.match(refused.message, /exceeds the limit of 256 bytes/);
  assert.ok(performance.now() - started < 5000, "refused at once, not at the handshake timeout");
  // A "listener" doing the same to a Client, in place of its challenge.
  const { createServer } = await import("node:net");
  const fake = createServer((peer) => {
    peer.on("error", () => undefined);
    announce(peer);
  });
  t.after(() => fake.close());
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  const port = (fake.address() as import("node:net").AddressInfo).port;
  await assert.rejects(Client(["127.0.0.1", port], { authkey: KEY, timeout: 10_000 }), (error: unknown) => error instanceof AuthenticationError && /exceeds the limit of 256 bytes/.test((error as Error).message));
  assert.ok(process.memoryUsage().rss - rssBefore < 128 * 1024 * 1024, "no buffer of the announced size was filled");
  // The listener keeps serving.
  const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: KEY })]);
  t.after(() => (server.close(), client.close()));
  await client.send("after the attack");
  assert.equal(await server.recv(), "after the attack");
});
