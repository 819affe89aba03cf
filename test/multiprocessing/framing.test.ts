import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameParser, frameHeader, frameOf } from "../../src/multiprocessing/framing.js";
import { FrameError } from "../../src/multiprocessing/errors.js";

function parse(chunks: Buffer[], max = 1 << 20): Buffer[] {
  const parser = new FrameParser(max);
  const out: Buffer[] = [];
  for (const chunk of chunks) parser.push(chunk, (frame) => out.push(Buffer.from(frame)));
  return out;
}

test("frames cut at every byte boundary come out whole", () => {
  const stream = Buffer.concat([frameOf(Buffer.from("hello")), frameOf(Buffer.alloc(0)), frameOf(Buffer.alloc(300, 7))]);
  for (let size = 1; size <= stream.length; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
    const frames = parse(chunks);
    assert.equal(frames.length, 3, `chunk size ${size}`);
    assert.equal(frames[0]!.toString(), "hello");
    assert.equal(frames[1]!.length, 0);
    assert.deepEqual(frames[2], Buffer.alloc(300, 7));
  }
});

test("the long header (-1 then 8 bytes) is understood", () => {
  const header = frameHeader(2 ** 31 + 5);
  assert.equal(header.length, 12);
  assert.equal(header.readInt32BE(0), -1);
  const parser = new FrameParser(2 ** 32);
  const long = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]), Buffer.from("abc")]);
  const out: string[] = [];
  parser.push(long.subarray(0, 6), (f) => out.push(f.toString()));
  parser.push(long.subarray(6), (f) => out.push(f.toString()));
  assert.deepEqual(out, ["abc"]);
});

test("a frame announcing more than the limit is refused before anything is buffered", () => {
  const parser = new FrameParser(1024);
  const header = Buffer.alloc(4);
  header.writeInt32BE(1025);
  assert.throws(() => parser.push(header, () => undefined), (error: unknown) => error instanceof FrameError && /exceeds the limit of 1024 bytes/.test((error as Error).message));
});

test("a negative length is refused", () => {
  const parser = new FrameParser(1024);
  assert.throws(() => parser.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]), () => undefined), /invalid length -2/);
});

test("a frame cut short is reported as partial", () => {
  const parser = new FrameParser(1024);
  parser.push(frameOf(Buffer.alloc(10)).subarray(0, 8), () => undefined);
  assert.deepEqual(parser.partial, { have: 4, expected: 10 });
});
