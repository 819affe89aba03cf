/**
 * The worker context's Pipe (threads of one process, on thread queues) against Python's
 * multiprocessing.Pipe between processes (spawn): small-value round trips between the main thread
 * and a worker process, and one-way 1 MiB messages.
 *
 *   node dist/bench/multiprocessing/thread-pipe.bench.js
 */
import { getContext } from "../../src/multiprocessing/index.js";
import { python, report } from "./anchor.js";
import { echoSync } from "../../test/fixtures/thread-pipe-targets.js";
import { sinkBytesSync } from "./pipe-targets.js";

const ROUNDS = Number(process.env.ROUNDS ?? 20_000);
const MESSAGES = Number(process.env.MESSAGES ?? 1000);
const WARMUP = 5000;
const ctx = getContext("worker");

async function roundTrips(): Promise<number> {
  const [mine, theirs] = ctx.Pipe();
  const p = new ctx.Process({ target: echoSync, args: [theirs] });
  p.start();
  for (let i = 0; i < WARMUP; i++) {
    mine.send(i);
    await mine.recv();
  }
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    mine.send(i);
    await mine.recv();
  }
  const perSecond = (ROUNDS / (performance.now() - started)) * 1000;
  mine.close();
  await p.join();
  return perSecond;
}

async function oneWay(): Promise<number> {
  const [mine, theirs] = ctx.Pipe();
  const p = new ctx.Process({ target: sinkBytesSync, args: [theirs, MESSAGES + 20] });
  p.start();
  const blob = Buffer.alloc(1 << 20, 120);
  for (let i = 0; i < 20; i++) mine.sendBytes(blob);
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) mine.sendBytes(blob);
  await mine.recv();
  const perSecond = ((MESSAGES * blob.length) / (performance.now() - started)) * 1000;
  mine.close();
  await p.join();
  return perSecond;
}

const shoalRoundTrips = Math.max(await roundTrips(), await roundTrips());
const shoalBytes = Math.max(await oneWay(), await oneWay());
const anchor = python<{ roundTrips: number; bytesPerSecond: number }>("pipe", ROUNDS, MESSAGES);
report("worker context Pipe round trips, main thread <-> worker process (Python: processes)", shoalRoundTrips, anchor.roundTrips, "/s", "report");
report("worker context Pipe one way, 1 MiB messages (Python: processes)", shoalBytes / 1e9, anchor.bytesPerSecond / 1e9, " GB/s", "report");
