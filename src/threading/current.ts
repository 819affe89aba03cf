/**
 * Which thread is running: the identity RLock ownership and `currentThread()` rest on.
 *
 * Event-loop Threads run their target inside `AsyncLocalStorage.run(thread, ...)`, so every
 * continuation of that target (after any `await`) still knows its Thread. Code outside any Thread
 * belongs to the thread it runs on (the main thread, or the worker's own Thread in a worker).
 * Kept apart from thread.ts so that the primitives can ask without importing Thread.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { threadId } from "node:worker_threads";

/** What the primitives need to know about a thread. */
export interface ThreadIdentity {
  readonly ident: number | null;
  readonly daemon: boolean;
}

/** The store of the running event-loop Thread. */
export const threadStorage = new AsyncLocalStorage<ThreadIdentity>();

let fallback: ThreadIdentity = { ident: 1, daemon: false };

/** Sets the identity of code running outside any event-loop Thread (thread.ts does it once). */
export function setFallbackThread(thread: ThreadIdentity): void {
  fallback = thread;
}

/** The identity of the running thread. */
export function currentIdentity(): ThreadIdentity {
  return threadStorage.getStore() ?? fallback;
}

/** The ident of the running thread: unique in the process, across worker threads too. */
export function currentIdent(): number {
  return (threadStorage.getStore() ?? fallback).ident ?? 0;
}

/** Whether the running thread is a daemon (its timers must not keep the process alive). */
export function currentIsDaemon(): boolean {
  return (threadStorage.getStore() ?? fallback).daemon;
}

// Idents are `threadId * 2^21 + n`: unique across the worker threads of a process without any
// shared counter (worker_threads' threadId already is).
const IDENT_SPACE = 2 ** 21;
let lastIdent = 0;

/** A new thread ident, unique in this process. */
export function newIdent(): number {
  lastIdent++;
  return threadId * IDENT_SPACE + lastIdent;
}
