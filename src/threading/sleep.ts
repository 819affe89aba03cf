/** sleep and sleepSync: Python's `time.sleep` for event-loop and worker threads. */
import { checkOptions, checkSignal, checkTimeout } from "../internal/options.js";
import { currentIsDaemon } from "./current.js";

/**
 * Resolves after `ms` milliseconds. Inside a daemon Thread the timer does not keep the process
 * alive. Rejects with the signal's reason when it aborts.
 */
export function sleep(ms: number, options?: { signal?: AbortSignal | undefined }): Promise<void> {
  try {
    checkTimeout(ms, "sleep: ms");
    checkOptions(options, "sleep");
    checkSignal(options?.signal, "sleep: signal");
  } catch (error) {
    return Promise.reject(error);
  }
  const signal = options?.signal;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.min(ms, 2 ** 31 - 1));
    if (currentIsDaemon()) timer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` milliseconds. Meant for worker threads (on the main thread it freezes the event loop). */
export function sleepSync(ms: number): void {
  checkTimeout(ms, "sleepSync: ms");
  Atomics.wait(nap, 0, 0, ms);
}
