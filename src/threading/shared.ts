/**
 * Shared state of the primitives: an Int32Array over a SharedArrayBuffer with an identity header,
 * and the per-thread registry that makes a primitive arriving twice in one thread the same object.
 *
 * Words 0 and 1 hold (threadId of the creator, creator's counter): an id unique in the process.
 */
import { threadId } from "node:worker_threads";

export const HEADER_WORDS = 2;
let counter = 0;

/** A new shared Int32Array of `words` words after the identity header. */
export function allocateWords(words: number): Int32Array {
  const array = new Int32Array(new SharedArrayBuffer((HEADER_WORDS + words) * 4));
  array[0] = threadId;
  array[1] = ++counter;
  return array;
}

const live = new Map<string, WeakRef<object>>();
const cleanup = new FinalizationRegistry<string>((key) => {
  const ref = live.get(key);
  if (ref !== undefined && ref.deref() === undefined) live.delete(key);
});

function keyOf(kind: string, words: Int32Array): string {
  return `${kind}:${words[0]}:${words[1]}`;
}

/** Remembers `object` as this thread's object for `words`. */
export function remember(kind: string, words: Int32Array, object: object): void {
  const key = keyOf(kind, words);
  live.set(key, new WeakRef(object));
  cleanup.register(object, key);
}

/** This thread's object for `words`, if one is alive. */
export function recall<T extends object>(kind: string, words: Int32Array): T | undefined {
  return live.get(keyOf(kind, words))?.deref() as T | undefined;
}

/** Checks that `data` is an Int32Array over shared memory, as received from another thread. */
export function checkWords(data: unknown, words: number, what: string): Int32Array {
  if (!(data instanceof Int32Array) || !(data.buffer instanceof SharedArrayBuffer) || data.length !== HEADER_WORDS + words) {
    throw new TypeError(`Cannot rebuild a ${what}: its shared state is missing or damaged`);
  }
  return data;
}

/**
 * Keeps the process (or worker) alive while something waits on shared memory: a pending
 * `Atomics.waitAsync` alone does not. Reference-counted; daemon threads do not take part.
 */
let holders = 0;
// One timer for the life of the thread, referenced only while someone holds: creating and clearing
// an interval per wait put a timer-list insertion on every queue get of a busy event loop (a fleet
// run spent 3% of its CPU there); ref() and unref() only count.
let handle: ReturnType<typeof setInterval> | undefined;

export function holdAlive(): void {
  if (holders++ === 0) (handle ??= setInterval(noop, 2 ** 31 - 1)).ref();
}

export function releaseAlive(): void {
  if (--holders === 0) handle?.unref();
}

function noop(): void {}

/** Error thrown when a thread-shared primitive is sent to another process. */
export function notAcrossProcesses(what: string, where: string): TypeError {
  return new TypeError(
    `${where}: cannot send a threading.${what} to another process: its state lives in memory shared by the threads of one process; ` +
      `use a multiprocessing ${what} (from a Manager) between processes`,
  );
}

/** `Atomics.waitAsync` (Node 20 has it; TypeScript's ES2023 library does not declare it yet). */
export type WaitAsyncResult =
  | { async: false; value: "not-equal" | "timed-out" }
  | { async: true; value: Promise<"ok" | "timed-out"> };

export const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}).waitAsync;
