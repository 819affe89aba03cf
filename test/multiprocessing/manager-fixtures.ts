/**
 * What the manager tests run in other processes (exported, so children import this module).
 */
import { BaseManager, currentProcess, isMainModule, type Connection, type DictProxy, type ListProxy, type LockProxy, type QueueProxy, type EventProxy, type Address, type Remote } from "../../src/multiprocessing/index.js";
import { Queue } from "../../src/queue/index.js";
import { task } from "../../src/internal/task.js";

/** Python's docs' remote-queue manager: one queue served on a "host", used by other processes. */
export class QueueManager extends BaseManager {}

const theQueue = new Queue<unknown>();
const results = new Queue<unknown>();
QueueManager.register("getQueue", () => theQueue, { exposed: ["put", "get", "qsize"] });
QueueManager.register("getResults", () => results, { exposed: ["put", "get"] });

/** What clients see of the served queue. */
export type RemoteQueue = Remote<Pick<Queue<unknown>, "put" | "get" | "qsize">>;

/** The "host": serves the queue at `address` until killed; reports the bound address on `report`. */
export async function serveQueues(address: Address, authkey: string, report: Connection): Promise<void> {
  const manager = new QueueManager({ address, authkey });
  const server = manager.getServer();
  await server.ready();
  await report.send(server.address);
  report.close();
  await server.serveForever();
}

/** A producer on another "machine": connects and puts `count` numbers, then `null`. */
export async function produce(address: Address, authkey: string, count: number): Promise<void> {
  const manager = await new QueueManager({ address, authkey }).connect();
  const queue = await manager.create<RemoteQueue>("getQueue");
  for (let i = 1; i <= count; i++) await queue.put(i);
  await queue.put(null);
  await manager.shutdown();
}

/** A consumer: takes numbers until `null`, and puts their sum on the results queue. */
export async function consume(address: Address, authkey: string): Promise<void> {
  const manager = await new QueueManager({ address, authkey }).connect();
  const queue = await manager.create<RemoteQueue>("getQueue");
  const out = await manager.create<RemoteQueue>("getResults");
  let sum = 0;
  for (;;) {
    const item = await queue.get();
    if (item === null) break;
    sum += item as number;
  }
  await out.put({ pid: process.pid, sum });
  await manager.shutdown();
}

/** Sets a key of `d` and appends to the list found under "inner" in it (a nested proxy). */
export async function touchNested(d: DictProxy<string, unknown>, key: string): Promise<void> {
  await d.set(key, currentProcess().name);
  const inner = (await d.get("inner")) as ListProxy<string>;
  await inner.append(key);
}

/** Takes `lock`, says so on `taken`, and never lets go (the test kills this process). */
export async function holdLockForever(lock: LockProxy, taken: EventProxy): Promise<void> {
  await lock.acquire();
  await taken.set();
  await new Promise(() => setInterval(() => undefined, 1000));
}

/** Puts `count` numbers on `q`, then null. */
export async function produceInto(q: QueueProxy<number | null>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await q.put(i);
  await q.put(null);
}

/** A self-contained factory reference for start(): a counter object. */
export function makeCounter(start: number): { value: number; increment(by: number): number; read(): number; _secret(): string } {
  return {
    value: start,
    increment(by: number) {
      this.value += by;
      return this.value;
    },
    read() {
      return this.value;
    },
    _secret() {
      return "private";
    },
  };
}

export const counterFactory = task<typeof makeCounter>(import.meta.url, "makeCounter");

/**
 * Run as a script: starts a Manager, prints `{ "server": pid }` and waits forever (the test
 * kills it with SIGKILL to check the server process goes too).
 */
if (isMainModule(import.meta) && process.argv[2] === "owner") {
  const { Manager } = await import("../../src/multiprocessing/index.js");
  const manager = await Manager.start();
  const d = await manager.dict();
  await d.set("alive", true);
  process.stdout.write(`${JSON.stringify({ server: manager.pid })}\n`);
  setInterval(() => undefined, 1000);
}

/** An initializer for a manager's server process: leaves a mark there. */
export function markServer(tag: string): void {
  (globalThis as { shoalServerTag?: string }).shoalServerTag = tag;
}

/** A factory reading what the initializer left (and where it runs). */
export function makeTagReader(): { tag(): string | undefined; pid(): number } {
  return {
    tag: () => (globalThis as { shoalServerTag?: string }).shoalServerTag,
    pid: () => process.pid,
  };
}
