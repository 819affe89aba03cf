/**
 * Pipe between a parent and a child process, against Python's multiprocessing.Pipe (spawn):
 * small-value round trips per second, and one-way 1 MiB messages (bytes per second).
 */
import { Pipe, Process, type Connection } from "../../src/multiprocessing/index.js";
import { python, report } from "./anchor.js";
import { echo } from "../../test/fixtures/process-targets.js";

const ROUNDS = Number(process.env.ROUNDS ?? 20_000);
const MESSAGES = Number(process.env.MESSAGES ?? 1000);
const WARMUP = 5000;

async function roundTrips(): Promise<number> {
  const [mine, theirs] = await Pipe();
  const p = new Process({ target: echo, args: [theirs] });
  p.start();
  // Warm up both sides (JIT, and the spare process shoal forks after a start) before timing.
  for (let i = 0; i < WARMUP; i++) {
    await mine.send(i);
    await mine.recv();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    await mine.send(i);
    await mine.recv();
  }
  const perSecond = (ROUNDS / (performance.now() - started)) * 1000;
  mine.close();
  await p.join();
  return perSecond;
}

async function oneWay(): Promise<number> {
  const [reader, writer] = await Pipe({ duplex: true });
  const p = new Process({
    target: async (conn: Connection, count: number) => {
      let total = 0;
      for (let i = 0; i < count + 20; i++) total += (await conn.recvBytes()).length;
      await conn.send(total);
    },
    args: [reader, MESSAGES],
  });
  p.start();
  const blob = Buffer.alloc(1 << 20, 120);
  for (let i = 0; i < 20; i++) await writer.sendBytes(blob);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) await writer.sendBytes(blob);
  await writer.recv();
  const perSecond = ((MESSAGES * blob.length) / (performance.now() - started)) * 1000;
  writer.close();
  await p.join();
  return perSecond;
}

const shoalRoundTrips = await roundTrips();
const shoalBytes = await oneWay();
const anchor = python<{ roundTrips: number; bytesPerSecond: number }>("pipe", ROUNDS, MESSAGES);
report("Pipe round trips, small values, parent <-> child", shoalRoundTrips, anchor.roundTrips, "/s", ">= 1x");
report("Pipe one way, 1 MiB messages", shoalBytes / 1e9, anchor.bytesPerSecond / 1e9, " GB/s", "toward 1x (Python 4.7 GB/s quiet)");
