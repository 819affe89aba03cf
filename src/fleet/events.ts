/**
 * What a fleet run reports, host by host, as it happens. `fleet.run()` yields these; the CLI's
 * reporters (live lines, gathered output, NDJSON, per-host files, summary) read nothing else.
 */

/** How a host ended. Every host of a run ends in exactly one. */
export type FinalState = "ok" | "failed" | "timeout" | "unreachable" | "auth" | "hostkey" | "killed";

/** The final states in the order summaries print them. */
export const FINAL_STATES: readonly FinalState[] = ["ok", "failed", "timeout", "unreachable", "auth", "hostkey", "killed"];

/**
 * The fixed kinds of `error` events: `dns` (name does not resolve), `refused` (nothing listens),
 * `timeout` (connect or command took too long), `auth` (every method rejected), `hostkey` (unknown or
 * changed key), `maxstartups` (the server dropped the connection before its banner, as sshd does past
 * MaxStartups), `channel` (the connection or channel broke, or a transfer failed), `killed` (stopped by
 * the user).
 */
export type ErrorKind = "dns" | "refused" | "timeout" | "auth" | "hostkey" | "maxstartups" | "channel" | "killed";

interface Base {
  /** The host's inventory name. */
  host: string;
  /** Milliseconds since the run started. */
  time: number;
}

export interface QueuedEvent extends Base {
  type: "queued";
}
export interface ConnectingEvent extends Base {
  type: "connecting";
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
}
export interface ConnectedEvent extends Base {
  type: "connected";
  /** Milliseconds from the TCP connect to the end of authentication (0 when the connection was reused). */
  connectMs: number;
  /** Whether an open connection from an earlier command was reused. */
  reused: boolean;
}
export interface OutputEvent extends Base {
  type: "stdout" | "stderr";
  /** A chunk of output (UTF-8 decoded, split anywhere: reporters join lines). */
  data: string;
  /**
   * The bytes as they came, for output that is not text (`-o` files are written from these): in
   * order, they are the command's output exactly, where `data` may hold a character split across
   * chunks back for the next event, and shows bytes that are not UTF-8 as U+FFFD.
   */
  bytes: Buffer;
}
export interface ExitEvent extends Base {
  type: "exit";
  /** Exit status, or null when the command died of a signal. */
  status: number | null;
  /** The signal name (`TERM`), when the command died of one. */
  signal?: string | undefined;
}
export interface ErrorEvent extends Base {
  type: "error";
  kind: ErrorKind;
  /** What happened, for people: `connection refused`, `command timed out after 10s`. */
  message: string;
  /** Whether the runner will try this host again (a connect failure with retries left). */
  retrying?: boolean | undefined;
}
export interface ProgressEvent extends Base {
  type: "progress";
  /** Bytes done so far on this host (copied, or found unchanged), and of how many: for get, 0 until the host's files are listed. */
  bytes: number;
  total: number;
}
export interface PingEvent extends Base {
  type: "ping";
  /** Round trip time of one request on the open connection, in milliseconds. */
  rttMs: number;
}
/** A host's end: always the last event of that host. */
export interface DoneEvent extends Base {
  type: "done";
  result: HostResult;
}

export type FleetEvent =
  | QueuedEvent
  | ConnectingEvent
  | ConnectedEvent
  | OutputEvent
  | ExitEvent
  | ErrorEvent
  | ProgressEvent
  | PingEvent
  | DoneEvent;

/** One host's outcome. */
export interface HostResult {
  host: string;
  state: FinalState;
  /** Exit status of the command (run), when one arrived. */
  exitStatus?: number | null | undefined;
  signal?: string | undefined;
  /** The error kind when the state is not ok/failed. */
  kind?: ErrorKind | undefined;
  /** Why it is not ok, short enough to group hosts by: `exit 3`, `connection refused`. */
  reason?: string | undefined;
  /** Collected output (when the run collects it; see RunOptions.collect). */
  stdout?: string | undefined;
  stderr?: string | undefined;
  /** Milliseconds to connect and authenticate, and in total. */
  connectMs?: number | undefined;
  durationMs: number;
  /** For put/get: bytes copied (not those of unchanged files), files copied, entries found unchanged. */
  bytes?: number | undefined;
  files?: number | undefined;
  skipped?: number | undefined;
  /** For put/get of a tree: symbolic links made (copied as links), and entries not copied (pipes, sockets, devices). */
  links?: number | undefined;
  ignored?: number | undefined;
  /** For ping: round trip time in milliseconds. */
  rttMs?: number | undefined;
}
