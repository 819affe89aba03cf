/**
 * Waiting for an SFTP server's reply, bounded by its session's timeout.
 *
 * A frozen server (stopped, or stuck on a hung NFS mount) neither replies nor closes the session,
 * and ssh2 waits for ever. paramiko bounds its SFTP requests by the channel's timeout
 * (`sftp.get_channel().settimeout(t)`, then `socket.timeout`); `SFTPClient.settimeout(ms)` does the
 * same here for every request of the session, its open files' included. A reply that comes after
 * the timeout is ignored.
 */
import type { SFTPWrapper } from "ssh2";
import { SSHTimeoutError } from "./errors.js";
import { TIMEOUT_MAX } from "../internal/options.js";

const timeouts = new WeakMap<SFTPWrapper, number>();

/** Bounds every later request of `sftp` to `timeout` ms; null waits for ever. */
export function setReplyTimeout(sftp: SFTPWrapper, timeout: number | null, where: string): void {
  if (timeout !== null && (typeof timeout !== "number" || !(timeout >= 0) || timeout === Infinity)) {
    throw new RangeError(`${where}: timeout must be a number of milliseconds >= 0, or null: got ${String(timeout)}`);
  }
  // Node fires a longer timer after 1 ms: every request would time out at once.
  if (timeout !== null && timeout > TIMEOUT_MAX) {
    throw new RangeError(`${where}: timeout must be at most TIMEOUT_MAX (${TIMEOUT_MAX} ms, about 24.8 days): got ${timeout}; null waits without a limit`);
  }
  if (timeout === null) timeouts.delete(sftp);
  else timeouts.set(sftp, timeout);
}

export function replyTimeout(sftp: SFTPWrapper): number | null {
  return timeouts.get(sftp) ?? null;
}

/** A promise of the reply `request` asks `sftp` for, rejected with a `TimeoutError` past the session's timeout. */
export function awaitReply<T>(sftp: SFTPWrapper, request: (resolve: (value: T) => void, reject: (error: unknown) => void) => void): Promise<T> {
  const timeout = timeouts.get(sftp);
  if (timeout === undefined) return new Promise<T>(request);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SSHTimeoutError("sftp", timeout)), timeout);
    const settle =
      <A>(then: (a: A) => void) =>
      (a: A) => {
        clearTimeout(timer);
        then(a);
      };
    try {
      request(settle(resolve), settle(reject));
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
  });
}
