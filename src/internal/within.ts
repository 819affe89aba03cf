/**
 * `within(promise, timeout, signal)`: waits for `promise` to settle, or `timeout` milliseconds to
 * pass (then it resolves anyway), rejecting with the signal's reason on abort. What `join({ timeout,
 * signal })` needs: Python's join returns at its timeout and leaves the caller to look.
 */
export function within(promise: Promise<unknown>, timeout: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    if (timeout !== undefined && timeout !== Infinity) timer = setTimeout(done, timeout);
    signal?.addEventListener("abort", onAbort, { once: true });
    void promise.then(done, done);
  });
}
