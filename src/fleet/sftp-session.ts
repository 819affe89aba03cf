/**
 * An SFTP session whose every request settles, even when the connection drops under it.
 *
 * ssh2 (1.17) leaves callbacks pending forever once the channel is gone: a request sent after
 * the channel closed is never answered, and `fastPut`/`fastGet`, on a dropped connection, try to
 * close their remote handle on the dead channel and wait for that reply before calling back. So
 * a host that drops mid-transfer would hang its worker (and the whole run) forever. Here every
 * request is raced against the end of the channel and of the connection: a transfer to a dropped
 * host fails with `connection lost`, at once.
 */
import type { SFTPWrapper, Stats } from "ssh2";
import { FileError } from "./file-error.js";
import { FleetError } from "./fleet-error.js";

/** SFTP's status for a path that does not exist (draft-ietf-secsh-filexfer-02, section 7). */
const SFTP_NO_SUCH_FILE = 2;

type Callback<T> = (err: Error | null | undefined, value: T) => void;

/** What ends a session from outside: the connection closing. Returns a function that stops listening. */
export type OnConnectionClose = (listener: () => void) => () => void;

export class SftpSession {
  readonly #raw: SFTPWrapper;
  readonly #pending = new Set<(err: FleetError | undefined) => void>();
  readonly #stopWatching: () => void;
  #lost = false;
  /** Why the session ended early, when it was not the connection (a timeout, a cancelled run). */
  #ended: FleetError | undefined;

  /**
   * `signal` ends the session early (the transfer's timeout, a cancelled run): every request then
   * fails at once, with the abort reason when it is a FleetError, else as `killed`.
   */
  constructor(raw: SFTPWrapper, onConnectionClose: OnConnectionClose, signal?: AbortSignal) {
    this.#raw = raw;
    const lost = () => this.#lose();
    raw.on("close", lost);
    raw.on("error", () => {});
    const stopConnection = onConnectionClose(lost);
    const onAbort = () => {
      const reason: unknown = signal?.reason;
      this.#lose(reason instanceof FleetError ? reason : new FleetError("killed", "interrupted", "transfer"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#stopWatching = () => {
      stopConnection();
      signal?.removeEventListener("abort", onAbort);
    };
    if (signal?.aborted) onAbort();
  }

  /** The ssh2 session, for calls made through `call`. */
  get raw(): SFTPWrapper {
    return this.#raw;
  }

  /** Whether the session takes no more requests: its channel or connection is gone, or it was ended early. */
  get lost(): boolean {
    // ssh2 marks the channel closed before it fails its pending requests with "No response from server".
    return this.#lost || (this.#raw as unknown as { incoming?: { state?: string } }).incoming?.state === "closed";
  }

  /**
   * Runs one ssh2 call and settles with its result, or rejects with `connection lost` as soon as
   * the channel or connection ends. `what` names the file for the message.
   */
  call<T>(what: string, fn: (cb: Callback<T>) => void): Promise<T> {
    if (this.lost) return Promise.reject(this.#ended ?? lostError(what));
    return new Promise<T>((resolve, reject) => {
      const onLost = (err: FleetError | undefined) => reject(err ?? lostError(what));
      this.#pending.add(onLost);
      try {
        fn((err, value) => {
          if (!this.#pending.delete(onLost)) return;
          if (!err) resolve(value);
          else reject(this.lost ? (this.#ended ?? lostError(what)) : err);
        });
      } catch (err) {
        this.#pending.delete(onLost);
        reject(this.lost ? (this.#ended ?? lostError(what)) : err);
      }
    });
  }

  /**
   * The file's attributes, or undefined when it does not exist. Any other refusal (a folder on the
   * way that may not be searched) rejects with a FileError for `action` ("cannot read /etc/x"):
   * "no such file" would send the user looking for the wrong mistake.
   */
  stat(path: string, action = `cannot read ${path}`): Promise<Stats | undefined> {
    return this.#attributes(path, action, (cb) => this.#raw.stat(path, cb));
  }

  /** Like `stat`, but a symbolic link is described itself, not followed. */
  lstat(path: string, action = `cannot read ${path}`): Promise<Stats | undefined> {
    return this.#attributes(path, action, (cb) => this.#raw.lstat(path, cb));
  }

  #attributes(path: string, action: string, fn: (cb: Callback<Stats>) => void): Promise<Stats | undefined> {
    return this.call<Stats>(path, fn).catch((err: unknown) => {
      if (err instanceof FleetError) throw err;
      if ((err as { code?: unknown }).code === SFTP_NO_SUCH_FILE) return undefined;
      throw FileError.of(action, err);
    });
  }

  /** Whether the channel can still carry a request (it may be ended early, by a timeout or a cancel). */
  get channelOpen(): boolean {
    return (!this.#lost || this.#ended !== undefined) && (this.#raw as unknown as { incoming?: { state?: string } }).incoming?.state !== "closed";
  }

  /** Ends the session. Safe to call twice. */
  end(): void {
    this.#stopWatching();
    if (this.lost && this.#ended === undefined) return;
    try {
      this.#raw.end();
    } catch {
      /* already ending */
    }
  }

  #lose(ended?: FleetError): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#ended = ended;
    if (!ended) this.#stopWatching();
    const waiting = [...this.#pending];
    this.#pending.clear();
    for (const reject of waiting) reject(ended);
  }
}

function lostError(what: string): FleetError {
  return new FleetError("channel", `connection lost during the transfer of ${what}`, "transfer", "connection lost");
}
