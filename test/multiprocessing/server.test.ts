import { test } from "node:test";
import assert from "node:assert/strict";
import { ObjectServer, ObjectClient, Client, RemoteError, Empty, type Caller } from "../../src/multiprocessing/index.js";

const KEY = Buffer.from("server test key");

class Counter {
  value = 0;
  add(n: number): number {
    this.value += n;
    return this.value;
  }
  fail(): never {
    throw new Empty("nothing here");
  }
  explode(): never {
    throw new SyntaxError("custom failure");
  }
  _hidden(): string {
    return "secret";
  }
}

test("an ObjectServer dispatches calls, replies errors as their class, and hides private methods", async (t) => {
  const server = new ObjectServer({ authkey: KEY });
  t.after(() => server.close());
  await server.ready();
  const token = server.register("Counter", new Counter());
  const client = new ObjectClient(token.address, KEY);
  assert.equal(await client.call(token.id, "add", [2]), 2);
  assert.equal(await client.call(token.id, "add", [3]), 5);
  assert.equal(await server.callLocal(token.id, "add", [1]), 6);
  await assert.rejects(client.call(token.id, "fail", []), (error: unknown) => error instanceof Empty && (error as Error).cause instanceof RemoteError);
  await assert.rejects(client.call(token.id, "explode", []), SyntaxError);
  await assert.rejects(client.call(token.id, "_hidden", []), /not exposed/);
  await assert.rejects(client.call("Counter-999", "add", [1]), /no object Counter-999 is served here/);
  const strange = server.register("Custom", {}, { dispatch: (method, args) => `${method}(${args.join(",")})` });
  assert.equal(await client.call(strange.id, "anything", [1, 2]), "anything(1,2)");
});

test("a client sending garbage after authenticating is dropped; the server keeps serving others", async (t) => {
  const server = new ObjectServer({ authkey: KEY });
  t.after(() => server.close());
  await server.ready();
  const token = server.register("Counter", new Counter());
  const hostile = await Client(token.address, { authkey: KEY });
  t.after(() => hostile.close());
  await hostile.sendBytes(Buffer.from("this is not a serialized request"));
  await assert.rejects(hostile.recv(), /EOF|closed/);
  const client = new ObjectClient(token.address, KEY);
  assert.equal(await client.call(token.id, "add", [1]), 1);
});

test("onDisconnect hooks run when a caller's connection ends, and its pending calls are cancelled", async (t) => {
  const server = new ObjectServer({ authkey: KEY });
  t.after(() => server.close());
  await server.ready();
  let disconnected = 0;
  let cancelled: unknown;
  const token = server.register("Waiter", {}, {
    dispatch: (method, _args, caller: Caller, signal) => {
      caller.onDisconnect(() => (disconnected += 1));
      if (method === "hang") {
        return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject((cancelled = signal.reason))));
      }
      return "ok";
    },
  });
  const conn = await Client(token.address, { authkey: KEY });
  const { dumps } = await import("../../src/multiprocessing/serialize.js");
  await conn.sendRaw(dumps({ id: 1, target: token.id, method: "hang", args: [] }, "request"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  conn.close();
  const deadline = performance.now() + 5000;
  while (disconnected === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(disconnected, 1);
  assert.ok(cancelled instanceof DOMException);
});

test("a hostile authenticated client cannot make the server import code: markers naming foreign modules are refused", async (t) => {
  const server = new ObjectServer({ authkey: KEY });
  t.after(() => server.close());
  await server.ready();
  const token = server.register("Counter", new Counter());
  const globals = globalThis as { shoalHostileRan?: number };
  delete globals.shoalHostileRan;
  const messageListeners = process.listenerCount("message");
  const evil = [
    "data:text/javascript,globalThis.shoalHostileRan=1",
    // One of shoal's own modules that is no kind's home: importing a process's main module takes the process over.
    new URL("../../src/multiprocessing/bootstrap.js", import.meta.url).href,
    new URL("../../src/multiprocessing/../../../../../../tmp/x.js", import.meta.url).href,
  ];
  for (const module of evil) {
    const hostile = await Client(token.address, { authkey: KEY });
    t.after(() => hostile.close());
    const marker = { __shoal_shareable__: "multiprocessing.NotLoadedKind", module, data: null };
    await hostile.send({ __shoal_envelope__: 1, value: { id: 1, target: token.id, method: "add", args: [marker] } });
    await assert.rejects(hostile.recv(), /EOF|closed/, `the connection naming ${module} is dropped`);
  }
  assert.equal(globals.shoalHostileRan, undefined, "no code of the client's choosing ran");
  assert.equal(process.listenerCount("message"), messageListeners, "the child bootstrap was not imported");
  const client = new ObjectClient(token.address, KEY);
  assert.equal(await client.call(token.id, "add", [1]), 1);
});
