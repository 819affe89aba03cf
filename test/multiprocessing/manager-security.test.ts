/**
 * A manager's server under hostile and broken clients: nothing is deserialized before the HMAC
 * challenge succeeds; only registered types and their exposed methods can be reached; garbage,
 * truncated and oversized frames end only the connection that sent them; 200 clients connecting
 * and dropping at random leave the server serving the same data.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { serialize } from "node:v8";
import { randomBytes } from "node:crypto";
import { Client, Connection, SyncManager, type Address, type ManagerServer, type DictProxy, type AutoProxy } from "../../src/multiprocessing/index.js";
import { answerChallenge, deliverChallenge } from "../../src/multiprocessing/auth.js";
import { makeCounter } from "./manager-fixtures.js";
import { decodeMessage } from "../../src/multiprocessing/managers/wire.js";

const AUTHKEY = "s3cret";

class HostileTarget extends SyncManager {}
HostileTarget.register("Counter", makeCounter, { exposed: ["increment", "read"] });

let manager: HostileTarget;
let server: ManagerServer;
let address: Address;
let data: DictProxy<string, number>;
let counter: AutoProxy<ReturnType<typeof makeCounter>>;
let counterId: number;

before(async () => {
  manager = new HostileTarget({ address: ["127.0.0.1", 0], authkey: AUTHKEY });
  server = manager.getServer();
  void server.serveForever();
  await server.ready();
  address = server.address;
  data = await manager.dict<string, number>({ a: 1, b: 2 });
  counter = await manager.create("Counter", 100);
  counterId = counter.token.id;
});

after(async () => {
  await manager.shutdown();
});

async function stillServing(): Promise<void> {
  assert.deepEqual(await data.copy(), new Map([["a", 1], ["b", 2]]));
  assert.equal(await counter.read(), 100);
}

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

function rawSocket(): Promise<Socket> {
  const [host, port] = address as [string, number];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.on("error", () => undefined);
    socket.once("close", () => resolve());
    socket.resume();
  });
}

/** An authenticated connection whose socket the test can also write raw bytes to. */
async function authenticated(): Promise<{ conn: Connection; socket: Socket }> {
  const socket = await rawSocket();
  socket.pause();
  const conn = new Connection(socket);
  await answerChallenge(conn, Buffer.from(AUTHKEY));
  await deliverChallenge(conn, Buffer.from(AUTHKEY));
  return { conn, socket };
}

async function request(conn: Connection, message: unknown[]): Promise<[number, number, unknown]> {
  await conn.sendBytes(serialize(message));
  return decodeMessage(await conn.recvBytes()) as [number, number, unknown];
}

test("nothing is deserialized before the challenge: a shutdown request sent first is never run", async () => {
  const socket = await rawSocket();
  socket.write(frame(serialize([1, "shutdown"])));
  await closed(socket); // refused: that frame is no answer to the challenge
  await stillServing();
});

test("a wrong authkey is refused with AuthenticationError and others are still served", async () => {
  await assert.rejects(Client(address, { authkey: "not the key" }), /AuthenticationError|digest/);
  await stillServing();
});

test("garbage and an oversized frame before authentication are refused", async () => {
  const garbage = await rawSocket();
  garbage.write(randomBytes(300));
  const huge = await rawSocket();
  huge.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
  await Promise.all([closed(garbage), closed(huge)]);
  await stillServing();
});

test("a hostile client reaches nothing but exposed methods of registered types", async () => {
  const { conn } = await authenticated();
  const forbidden = ["_secret", "constructor", "__proto__", "toString", "hasOwnProperty", "__defineGetter__", "valueOf", "then", "value", "prototype", "bind"];
  let id = 1;
  for (const method of forbidden) {
    const [callId, kind, error] = await request(conn, [id, "call", counterId, method, [], 0]);
    assert.equal(callId, id++);
    assert.equal(kind, 1, `${method} must be refused`);
    assert.match((error as { message: string }).message, /not exposed|not a method/);
  }
  const notAString = await request(conn, [id++, "call", counterId, { toString: "x" }, [], 0]);
  assert.equal(notAString[1], 1);
  const noObject = await request(conn, [id++, "call", 123456, "read", [], 0]);
  assert.equal(noObject[1], 1);
  const notRegistered = await request(conn, [id++, "create", "Object", []]);
  assert.equal(notRegistered[1], 1);
  const argsNotArray = await request(conn, [id++, "call", counterId, "increment", { length: 1, 0: 5 }, 0]);
  assert.equal(argsNotArray[1], 1);
  const importMarker = await request(conn, [
    id++, "call", counterId, "increment",
    { __shoal_envelope__: 1, value: [{ __shoal_shareable__: "evil", module: "data:text/javascript,process.exit(7)", data: null }] }, 0,
  ]);
  assert.equal(importMarker[1], 1, "a marker of an unknown kind is refused, its module never imported");
  const read = await request(conn, [id++, "call", counterId, "read", [], 0]);
  assert.deepEqual(read.slice(1), [0, 100]);
  conn.close();
  await stillServing();
});

test("requests may come as JSON too; broken JSON ends the connection", async () => {
  const { conn, socket } = await authenticated();
  await conn.sendBytes(Buffer.from(JSON.stringify([1, "call", counterId, "read", [], 0])));
  assert.deepEqual(decodeMessage(await conn.recvBytes()), [1, 0, 100]);
  socket.write(frame(Buffer.from("[1, \"call\", ")));
  await closed(socket);
  await stillServing();
});

test("garbage, truncated and oversized frames after authentication end only that connection", async () => {
  const garbage = await authenticated();
  garbage.socket.write(frame(randomBytes(64)));
  const notRequest = await authenticated();
  notRequest.socket.write(frame(serialize({ hello: "world" })));
  const truncated = await authenticated();
  truncated.socket.write(Buffer.concat([Buffer.from([0, 0, 0, 100]), randomBytes(10)]));
  truncated.socket.end();
  const oversized = await authenticated();
  oversized.socket.write(Buffer.from([0x40, 0, 0, 0])); // 1 GiB announced, over the 64 MiB limit
  await Promise.all([closed(garbage.socket), closed(notRequest.socket), closed(oversized.socket), closed(truncated.socket)]);
  await stillServing();
});

test("200 clients connecting and dropping at random leave the server serving the same data", async () => {
  const clients = Array.from({ length: 200 }, async (_, i) => {
    const mode = i % 5;
    if (mode === 0) {
      const socket = await rawSocket(); // gone in the middle of the handshake
      socket.destroy();
      return;
    }
    const { conn, socket } = await authenticated();
    if (mode === 1) socket.destroy(); // gone right after authenticating
    else if (mode === 2) {
      socket.write(Buffer.concat([frame(serialize([1, "call", counterId, "read", [], 0])).subarray(0, 7)]));
      socket.destroy(); // gone in the middle of a request
    } else if (mode === 3) {
      await conn.sendBytes(serialize([1, "call", counterId, "read", [], 0]));
      socket.destroy(); // gone before the reply
    } else {
      const reply = await request(conn, [1, "call", counterId, "read", [], 0]); // v8-serialized request, JSON reply
      assert.deepEqual(reply, [1, 0, 100]);
      conn.close();
    }
  });
  await Promise.all(clients);
  await stillServing();
});
