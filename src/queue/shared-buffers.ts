/**
 * SharedArrayBuffers inside queue items.
 *
 * Items cross threads as bytes in shared memory (`v8.serialize`), and bytes cannot hold a
 * SharedArrayBuffer: the memory itself must reach the other thread by message. So each buffer
 * that goes into an item gets a process-unique id and is announced once on a BroadcastChannel
 * that every thread using shared queues listens to; the item's bytes carry only the id. The
 * announcement is queued at the receiver before the put completes, so a getter that meets an
 * unknown id reads the channel synchronously (`receiveMessageOnPort`) until it is there.
 *
 * A thread that starts listening after a buffer was announced asks for it (`want`); whoever knows
 * it announces it again, and the asker reads the channel until it arrives.
 *
 * Nothing here keeps a buffer alive for good: a thread holds what it learns for a grace period, and
 * after that the objects using the buffer keep it (the putting thread's queue keeps each item it
 * put until another thread takes it), so queues and locks sent inside items can be freed.
 *
 * This is how shoal's primitives and queues travel inside items: the codec turns them into their
 * shared state, which is SharedArrayBuffers.
 */
import { BroadcastChannel, receiveMessageOnPort, threadId, type MessagePort } from "node:worker_threads";

interface Announcement {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
}

interface Request {
  readonly want: number;
}

type Message = Announcement | Request;

/** How long a thread waits for a buffer it asked for before giving up. */
const ASK_TIMEOUT = 10_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

const CHANNEL = "shoal.queue.shared-buffers";
const ID_SPACE = 2 ** 32; // ids are threadId * 2^32 + n: unique without a shared counter

/**
 * How long a thread keeps a buffer announced to it alive on its own. After that only the objects
 * using it keep it (and the putting thread's queue, until the item is taken), so buffers of queues
 * and locks that are done with can be freed.
 */
const GRACE = 60_000;

const ids = new WeakMap<SharedArrayBuffer, number>();
const buffers = new Map<number, WeakRef<SharedArrayBuffer>>();
const forget = new FinalizationRegistry<number>((id) => {
  if (buffers.get(id)?.deref() === undefined) buffers.delete(id);
});
/** Buffers announced lately, kept alive for GRACE ms in case an item naming them is still on its way. */
const recent = new Map<number, { buffer: SharedArrayBuffer; until: number }>();
let sweeper: ReturnType<typeof setInterval> | undefined;
let counter = 0;

function remember(id: number, buffer: SharedArrayBuffer): void {
  buffers.set(id, new WeakRef(buffer));
  forget.register(buffer, id);
  if (!ids.has(buffer)) ids.set(buffer, id);
  recent.set(id, { buffer, until: performance.now() + GRACE });
  sweeper ??= setInterval(sweep, GRACE / 4).unref();
}

function sweep(): void {
  const now = performance.now();
  for (const [id, { until }] of recent) if (until < now) recent.delete(id);
  if (recent.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function lookUp(id: number): SharedArrayBuffer | undefined {
  return buffers.get(id)?.deref();
}
let channel: BroadcastChannel | undefined;

function open(): BroadcastChannel {
  if (channel === undefined) {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event: unknown) => receive((event as { data: Message }).data);
    channel.unref(); // listening must not keep a thread alive
  }
  return channel;
}

function receive(message: Message): void {
  if ("want" in message) {
    const buffer = lookUp(message.want);
    if (buffer !== undefined) channel?.postMessage({ id: message.want, buffer } satisfies Announcement);
  } else learn(message);
}

function learn(announcement: Announcement): void {
  if (lookUp(announcement.id) === undefined) remember(announcement.id, announcement.buffer);
}

/** Starts listening for announcements: call it as soon as a thread holds a shared queue. */
export function listenForSharedBuffers(): void {
  open();
}

/** The id of `buffer`, announced to every thread the first time. */
export function idOfSharedBuffer(buffer: SharedArrayBuffer): number {
  let id = ids.get(buffer);
  if (id === undefined) {
    id = threadId * ID_SPACE + ++counter;
    remember(id, buffer);
    open().postMessage({ id, buffer } satisfies Announcement);
  }
  return id;
}

/** The buffer announced under `id`, reading pending announcements if it has not been seen yet. */
export function sharedBufferOf(id: number): SharedArrayBuffer {
  let buffer = lookUp(id);
  const port = open();
  let asked = 0;
  while (buffer === undefined) {
    const message = receiveMessageOnPort(port as unknown as MessagePort) as { message: Message } | undefined;
    if (message !== undefined) {
      receive(message.message);
    } else {
      // Announced before this thread listened: ask, and give the owner's event loop time to answer.
      const now = performance.now();
      if (asked === 0) {
        asked = now;
        port.postMessage({ want: id } satisfies Request);
      } else if (now - asked > ASK_TIMEOUT) {
        throw new Error(`Cannot decode a queue item: the shared memory it refers to (id ${id}) was not announced to this thread within ${ASK_TIMEOUT} ms`);
      }
      Atomics.wait(pause, 0, 0, 1);
    }
    buffer = lookUp(id);
  }
  return buffer;
}

/** Every buffer this thread knows, to hand to a thread that starts listening later. */
export function knownSharedBuffers(): Array<[number, SharedArrayBuffer]> {
  const known: Array<[number, SharedArrayBuffer]> = [];
  for (const [id, ref] of buffers) {
    const buffer = ref.deref();
    if (buffer !== undefined) known.push([id, buffer]);
  }
  return known;
}

/** Learns buffers handed over by `knownSharedBuffers` in another thread. */
export function learnSharedBuffers(list: Array<[number, SharedArrayBuffer]>): void {
  for (const [id, buffer] of list) learn({ id, buffer });
}
