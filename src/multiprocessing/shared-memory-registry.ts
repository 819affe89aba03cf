/**
 * The names of the SharedMemory segments of this process, known to each of its threads: POSIX's
 * /dev/shm directory, for the threads of one Node process (Node cannot map memory between
 * processes without a native addon).
 *
 * Each thread keeps its own table (name -> SharedArrayBuffer). A change is posted on a
 * BroadcastChannel that every thread which loaded this module listens to, and read synchronously
 * (`receiveMessageOnPort`) whenever the table is consulted, so a lookup never waits for an event
 * loop. A thread that starts later would have missed the earlier changes: a `WorkerProcess` or a
 * pool's worker thread therefore starts with a copy of its parent's table, and, until it is
 * listening, receives its parent's changes on a port of its own (`seedForChild`/`adoptSeed`).
 */
import { BroadcastChannel, MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { registerWorkerSeeder } from "../internal/worker-seeds.js";

type Change = { op: "create"; name: string; buffer: SharedArrayBuffer } | { op: "unlink"; name: string };

/** What a new worker thread starts with: its parent's table, and the port of the parent's changes until it listens. */
export interface RegistrySeed {
  readonly table: ReadonlyArray<readonly [string, SharedArrayBuffer]>;
  readonly port: MessagePort;
  /** Set to 1 by the child once it listens on the channel: the parent stops using the port. */
  readonly listening: Int32Array;
}

const table = new Map<string, SharedArrayBuffer>();
const channel = new BroadcastChannel("shoal:multiprocessing:shared-memory");
// It must never keep a thread alive.
channel.unref();

/** Children still starting: the parent's changes go to them on their port too. */
const starting = new Set<{ port: MessagePort; listening: Int32Array }>();

function apply(change: Change): void {
  if (change.op === "create") table.set(change.name, change.buffer);
  else table.delete(change.name);
}

// Changes are also taken as they come, not only when the table is consulted: a thread that never
// looks a name up would otherwise keep every segment ever made alive in its channel's queue.
channel.onmessage = (event: MessageEvent) => apply(event.data as Change);

// Node takes a BroadcastChannel here too (documented since v15.4); @types/node declares MessagePort only.
const channelPort = channel as unknown as MessagePort;

function catchUp(): void {
  for (let m = receiveMessageOnPort(channelPort); m !== undefined; m = receiveMessageOnPort(channelPort)) apply(m.message as Change);
}

/** Forgets the children that listen by now; posts `change` to the others. */
function tellStarting(change?: Change): void {
  for (const child of starting) {
    if (Atomics.load(child.listening, 0) === 1) {
      starting.delete(child);
      child.port.close();
    } else if (change !== undefined) child.port.postMessage(change);
  }
}

function publish(change: Change): void {
  apply(change);
  channel.postMessage(change);
  tellStarting(change);
}

/** The buffer of segment `name`, or undefined when no thread of this process has it. */
export function lookup(name: string): SharedArrayBuffer | undefined {
  catchUp();
  return table.get(name);
}

/** Records a new segment for every thread. */
export function publishCreate(name: string, buffer: SharedArrayBuffer): void {
  publish({ op: "create", name, buffer });
}

/** Removes a name for every thread (memory already attached stays usable, as after shm_unlink). */
export function publishUnlink(name: string): void {
  publish({ op: "unlink", name });
}

/** Learns a segment that arrived inside a value from another thread. */
export function learn(name: string, buffer: SharedArrayBuffer): void {
  catchUp();
  if (!table.has(name)) table.set(name, buffer);
}

/**
 * For a worker thread about to start: this thread's table and a port for the changes until it
 * listens (pass `transfer` as the Worker's transferList). Call `forget` when the worker exits, in
 * case it ended before it listened.
 */
export function seedForChild(): { seed: RegistrySeed; transfer: MessagePort[]; forget: () => void } {
  catchUp();
  tellStarting();
  const { port1, port2 } = new MessageChannel();
  port1.unref();
  const child = { port: port1, listening: new Int32Array(new SharedArrayBuffer(4)) };
  starting.add(child);
  const forget = (): void => {
    if (starting.delete(child)) child.port.close();
  };
  return { seed: { table: [...table], port: port2, listening: child.listening }, transfer: [port2], forget };
}

/** `adoptSeed` under the name `internal/worker-seeds.ts` calls, in a `Thread({ worker: true })`. */
export function adoptWorkerSeed(data: unknown): void {
  adoptSeed(data as RegistrySeed);
}

// A Thread({ worker: true }) (started by threading, which cannot know this module) gets the table too.
registerWorkerSeeder({
  module: import.meta.url,
  seed: () => {
    const { seed, transfer, forget } = seedForChild();
    return { data: seed, transfer, forget };
  },
});

/** In a new worker thread, before its target runs: takes the parent's table and the changes since. */
export function adoptSeed(seed: RegistrySeed | undefined): void {
  if (seed === undefined) return;
  // This module's channel already listens (it was opened when the module loaded): from here on,
  // every change arrives there, so the parent may stop using the port.
  Atomics.store(seed.listening, 0, 1);
  for (const [name, buffer] of seed.table) table.set(name, buffer);
  for (let m = receiveMessageOnPort(seed.port); m !== undefined; m = receiveMessageOnPort(seed.port)) apply(m.message as Change);
  seed.port.close();
  catchUp();
}
