/**
 * ReadAhead, the pipelined reading behind SFTPFile, over a file in memory that answers as a server
 * may: short answers inside the file, answers out of order, a failing request.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ReadAhead } from "../../src/ssh/sftp-read-ahead.js";

/** A file whose reads answer after a random delay, some of them short. */
function remoteFile(data: Buffer, options: { shortEvery?: number; failAt?: number } = {}) {
  let inFlight = 0;
  let most = 0;
  let requests = 0;
  const answers: Promise<Buffer>[] = [];
  const readAt = (position: number, length: number): Promise<Buffer> => {
    requests++;
    inFlight++;
    most = Math.max(most, inFlight);
    const short = options.shortEvery !== undefined && requests % options.shortEvery === 0;
    const answer = data.subarray(position, position + (short ? Math.ceil(length / 3) : length));
    const reply = new Promise<Buffer>((resolve, reject) =>
      setTimeout(() => {
        inFlight--;
        if (options.failAt !== undefined && position >= options.failAt) reject(new Error(`read failed at ${position}`));
        else resolve(Buffer.from(answer));
      }, Math.random() * 3),
    );
    answers.push(reply);
    return reply;
  };
  /** Settles once every request made so far has been answered. */
  const answered = (): Promise<unknown> => Promise.allSettled(answers);
  return { readAt, answered, stats: () => ({ most, requests }) };
}

test("bytes come in order, whatever the sizes taken and however short the answers", async () => {
  const data = randomBytes(1024 * 1024 + 333);
  const file = remoteFile(data, { shortEvery: 3 });
  const ahead = new ReadAhead(file.readAt, 0, { block: 32 * 1024, window: 6 });
  const parts: Buffer[] = [];
  for (const size of [1, 10, 40_000, 7, 100_000, 65_536]) parts.push(await ahead.take(size));
  parts.push(await ahead.take(Infinity));
  assert.deepEqual(Buffer.concat(parts), data);
  assert.equal(ahead.position, data.length);
  assert.equal((await ahead.take(10)).length, 0);
  assert.ok(file.stats().most > 1 && file.stats().most <= 6, `${file.stats().most} in flight at most`);
});

test("from a position, up to a known end: nothing is asked past it but the one request that finds the end", async () => {
  const data = randomBytes(100_000);
  const file = remoteFile(data);
  const ahead = new ReadAhead(file.readAt, 50_000, { block: 10_000, window: 16, end: data.length });
  assert.deepEqual(await ahead.take(Infinity), data.subarray(50_000));
  assert.equal(file.stats().requests, 5 + 1);
});

test("a failed request rejects take; cancelled requests that fail later are no unhandled rejection", async () => {
  const data = randomBytes(200_000);
  const file = remoteFile(data, { failAt: 100_000 });
  const ahead = new ReadAhead(file.readAt, 0, { block: 10_000, window: 16 });
  assert.equal((await ahead.take(50_000)).length, 50_000);
  await assert.rejects(ahead.take(Infinity), /read failed at 100000/);
  const other = new ReadAhead(file.readAt, 60_000, { block: 10_000, window: 16 });
  assert.equal((await other.take(10_000)).length, 10_000);
  other.cancel(); // requests past 100,000 are in flight, and will fail
  await file.answered(); // an unhandled rejection among them would fail the test run
});
