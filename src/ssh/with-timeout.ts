/**
 * `withTimeout`: a promise that rejects `SSHTimeoutError(phase)` if `promise` has not settled
 * within `timeout` ms (undefined: no limit), running `onTimeout` (e.g. closing the transport) then.
 */
import { SSHTimeoutError, type TimeoutPhase } from "./errors.js";

export function withTimeout<T>(promise: Promise<T>, timeout: number | undefined, phase: TimeoutPhase, host: string | undefined, onTimeout?: () => unknown): Promise<T> {
  if (timeout === undefined || timeout === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SSHTimeoutError(phase, timeout, host));
      if (onTimeout !== undefined) void Promise.resolve(onTimeout()).catch(() => {});
    }, timeout);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
