/**
 * Functions the pool tests run in workers (exported, so workers import this module by URL).
 */
import { setTimeout as sleep } from "node:timers/promises";

export function square(x: number): number {
  return x * x;
}

export function add(a: number, b: number): number {
  return a + b;
}

export function identity<T>(x: T): T {
  return x;
}

export async function slowSquare(x: number, ms: number): Promise<number> {
  await sleep(ms);
  return x * x;
}

/** Sleeps, then reports when it ran (for concurrency checks). */
export async function span(ms: number): Promise<[number, number]> {
  const start = Date.now();
  await sleep(ms);
  return [start, Date.now()];
}

export function fail(message: string): never {
  const error = new RangeError(message) as RangeError & { code: string };
  error.code = "E_TASK";
  throw error;
}

export class CustomError extends Error {
  override name = "CustomError";
}

export function failCustom(message: string): never {
  throw new CustomError(message);
}

/** An error carrying data fields, as Python exceptions carry attributes (`e.response`, `e.errors`). */
export function failWithData(message: string): never {
  const error = new Error(message) as Error & { code: string; details: unknown; when: Date; handler?: unknown };
  error.code = "E_DATA";
  error.details = { host: "db1", tries: [1, 2, 3], seen: new Map([["a", 1]]) };
  error.when = new Date(0);
  error.handler = () => undefined; // cannot cross: left out, the rest still comes
  throw error;
}

/** An error with a field whose getter throws (a lazy field of a library's error). */
export function failWithThrowingGetter(message: string): never {
  const error = new RangeError(message) as RangeError & { code: string };
  error.code = "E_LAZY";
  Object.defineProperty(error, "details", {
    enumerable: true,
    get() {
      throw new Error("details are not loaded");
    },
  });
  throw error;
}

export function failAggregate(): never {
  throw new AggregateError([new RangeError("first"), new TypeError("second")], "both failed");
}

export function pid(): number {
  return process.pid;
}

export async function threadInfo(): Promise<number> {
  const { threadId } = await import("node:worker_threads");
  return threadId;
}

/** The worker's pid or thread id, after a pause (so tasks spread over workers). */
export async function whoAmI(ms: number): Promise<string> {
  await sleep(ms);
  const { threadId } = await import("node:worker_threads");
  return `${process.pid}/${threadId}`;
}

export function exitNow(code: number): never {
  process.exit(code);
}

/** Allocates until the heap limit kills the worker. */
export function exhaustMemory(): number {
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1_000_000).fill(hoard.length));
}

/** Runs until killed from outside. */
export async function hang(): Promise<never> {
  await new Promise(() => setInterval(() => {}, 1000));
  throw new Error("unreachable");
}

export function returnFunction(): () => void {
  return () => {};
}

let initialized: string | undefined;
export function init(value: string): void {
  initialized = value;
}
export function initValue(): string | undefined {
  return initialized;
}
export function failInit(): never {
  throw new TypeError("initializer broke");
}

export function bytes(n: number): Uint8Array {
  return new Uint8Array(n).fill(7);
}
export function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
export function concat(a: string, b: string): string {
  return a + b;
}
export function objectOf(x: number): { x: number; list: number[]; nested: { y: string } } {
  return { x, list: [x, x + 1], nested: { y: String(x) } };
}

/** Dies of an uncaught exception thrown outside the task (in a timer). */
export function crashLater(): Promise<never> {
  setTimeout(() => {
    throw new Error("crashed in a timer");
  }, 1);
  return new Promise<never>(() => {});
}

/** Counts pulls, so a test can see how far an iterable was read. */
export function* counted(limit: number, pulls: { count: number }): Generator<number> {
  for (let i = 0; i < limit; i++) {
    pulls.count++;
    yield i;
  }
}

export async function* asyncRange(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    await Promise.resolve();
    yield i;
  }
}

export async function sleepy(x: number): Promise<number> {
  await sleep(100);
  return x;
}

/** Adds to a shared counter under a shoal Lock (both shared with the calling thread). */
export async function addUnderLock(lock: { acquire(): Promise<boolean>; release(): void }, counter: Int32Array, times: number): Promise<Int32Array> {
  for (let i = 0; i < times; i++) {
    await lock.acquire();
    const seen = counter[0]!;
    await null;
    counter[0] = seen + 1;
    lock.release();
  }
  return counter;
}

/** Ignores SIGTERM, then hangs: only SIGKILL ends it. */
export async function ignoreSigterm(): Promise<never> {
  process.on("SIGTERM", () => {});
  return hang();
}

/** Starts a process that holds this worker's stderr open, says its pid there, and exits. */
export async function exitLeavingStderrOpen(): Promise<never> {
  const { spawn } = await import("node:child_process");
  const holder = spawn("sleep", ["30"], { stdio: ["ignore", "ignore", "inherit"] });
  process.stderr.write(`holder pid ${holder.pid}\n`, () => process.exit(5));
  return new Promise<never>(() => {});
}

/** Who the worker process is: its name, its parent's pid, whether it is daemonic. */
export async function workerIdentity(): Promise<[string, number | null, boolean]> {
  const { currentProcess, parentProcess } = await import("../../src/multiprocessing/process.js");
  return [currentProcess().name, parentProcess()?.pid ?? null, currentProcess().daemon];
}

/** Uses process-shared primitives the pool's parent made (they reach their owner with its authkey). */
export async function useShared(
  event: { set(): Promise<void> },
  lock: { acquire(): Promise<boolean>; release(): Promise<void> },
  queue: { put(item: string): Promise<void>; qsize(): Promise<number> },
): Promise<number> {
  await lock.acquire();
  await lock.release();
  await event.set();
  await queue.put("from the worker");
  return queue.qsize();
}
