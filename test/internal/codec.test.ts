import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFromTransfer, decodeFromTransferAsync, encodeForTransfer, needsDecoding, registerShareable } from "../../src/internal/codec.js";
import { Event, Lock } from "../../src/threading/index.js";

class Token {
  constructor(readonly id: number) {}
}
registerShareable<Token, number>({
  kind: "test.Token",
  module: import.meta.url,
  is: (v): v is Token => v instanceof Token,
  encode: (t) => t.id,
  decode: (id) => new Token(id),
});

test("plain data passes through untouched (no copy, no envelope)", () => {
  const values: unknown[] = [1, "s", null, undefined, [1, 2, 3], { a: 1, b: [2] }, new Uint8Array(4), new Map([[1, 2]]), new Set([1]), new Date(0)];
  for (const value of values) {
    const wire = encodeForTransfer(value, "thread", "x");
    assert.equal(wire, value);
    assert.equal(needsDecoding(wire), false);
    assert.equal(decodeFromTransfer(wire, "thread"), value);
  }
});

test("registered instances become markers and come back, inside arrays, objects, Maps and Sets", () => {
  const value = { list: [1, new Token(7)], map: new Map([["k", new Token(8)]]), set: new Set([new Token(9)]), plain: { n: 1 } };
  const wire = encodeForTransfer(value, "process", "msg");
  assert.equal(needsDecoding(wire), true);
  assert.notEqual(wire, value);
  assert.ok(value.list[1] instanceof Token, "the original is not modified");
  const back = decodeFromTransfer(structuredClone(wire), "process") as typeof value;
  assert.ok(back.list[1] instanceof Token);
  assert.equal((back.list[1] as Token).id, 7);
  assert.equal(back.map.get("k")?.id, 8);
  assert.equal([...back.set][0]?.id, 9);
  assert.deepEqual(back.plain, { n: 1 });
});

test("a threading primitive crossing into a thread is the same primitive; cannot go to a process", async () => {
  const lock = new Lock();
  const event = new Event();
  const wire = encodeForTransfer([lock, { event }], "thread", "args");
  const [lock2, { event: event2 }] = (await decodeFromTransferAsync(structuredClone(wire), "thread")) as [Lock, { event: Event }];
  assert.equal(lock2, lock, "in the same thread it is the very same object");
  assert.equal(event2, event);
  assert.throws(() => encodeForTransfer({ lock }, "process", "Process args"), { name: "TypeError", message: /^Process args\.lock: cannot send a threading\.Lock to another process/ });
});

test("what cannot cross fails at once, naming where", () => {
  assert.throws(() => encodeForTransfer([1, { a: { handler: () => 1 } }], "thread", "Thread args"), {
    name: "TypeError",
    message: /^Thread args\[1\]\.a\.handler: cannot send a function \(handler\) to a worker thread/,
  });
  class Point {
    x = 1;
  }
  assert.throws(() => encodeForTransfer({ p: new Point() }, "thread", "item"), { message: /^item\.p: cannot send an instance of Point/ });
  assert.throws(() => encodeForTransfer(Symbol("s"), "thread", "v"), /cannot send a symbol/);
  assert.throws(() => encodeForTransfer([Promise.resolve(1)], "thread", "v"), /cannot send a Promise/);
  assert.throws(() => encodeForTransfer({ b: new Int32Array(new SharedArrayBuffer(4)) }, "process", "v"), /SharedArrayBuffer to another process/);
  assert.equal(encodeForTransfer(new SharedArrayBuffer(4), "thread", "v") instanceof SharedArrayBuffer, true);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(encodeForTransfer(cyclic, "thread", "v"), cyclic);
});
