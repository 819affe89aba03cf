/**
 * A private directory per process for the unix sockets it listens on (pipes, the object server,
 * default `Listener` addresses), like CPython's `util.get_temp_dir()`. Created on first use with mode
 * 0700, removed when the process exits.
 *
 * A unix socket's path has room for 107 bytes on Linux and 103 on macOS, and Node 20 cuts a longer
 * one short without a word (two pipes then collide, or a socket lands outside the directory). As
 * Python 3.13 does, a temporary directory too long to leave room for the names falls back to
 * /tmp, /var/tmp or /usr/tmp; and a path given that is too long is refused, saying so.
 *
 * A process that is killed (SIGTERM, SIGKILL: `terminate()`, a crash) never removes its directory,
 * so each new one sweeps, in the background, those of this user's processes that are gone: a
 * directory named for a pid that does not run here, untouched for a minute, and in which no socket
 * answers. (With /tmp shared between containers, a pid that does not run here may run there: its
 * sockets still answer, and a directory removed while it had none is made again when needed.)
 */
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { isProcessRunning } from "../internal/process-running.js";

/** The longest unix socket path: 108 bytes with the final NUL on Linux, 104 on macOS and the BSDs. */
export const MAX_SOCKET_PATH_BYTES = process.platform === "linux" ? 107 : 103;
/** What a socket path adds to the base directory: `/shoal-PID-XXXXXX/listener-N-XXXXXX.sock`. */
const ROOM_FOR_NAMES = 52;

let dir: string | undefined;
let counter = 0;
let sweeping: Promise<void> | undefined;

/** The directory, created on first call. */
export function socketDir(): string {
  if (dir === undefined) {
    const base = baseDir();
    dir = mkdtempSync(join(base, `shoal-${process.pid}-`));
    const created = dir;
    process.once("exit", () => rmSync(created, { recursive: true, force: true }));
    sweeping = sweepStaleDirs(base).catch(() => undefined);
  }
  return dir;
}

/** @internal The background sweep started with the directory (for tests). */
export function staleDirsSwept(): Promise<void> | undefined {
  return sweeping;
}

/** A directory younger than this may belong to a process about to make its first socket. */
const STALE_AFTER_MS = 60_000;

/** Removes the socket directories, under `base`, of this user's processes that no longer run. */
async function sweepStaleDirs(base: string): Promise<void> {
  const uid = process.getuid?.();
  for (const name of await readdir(base)) {
    const match = /^shoal-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessRunning(pid)) continue;
    const path = join(base, name);
    try {
      const info = await stat(path);
      if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || Date.now() - info.mtimeMs < STALE_AFTER_MS) continue;
      const answering = await Promise.all((await readdir(path)).map((entry) => answers(join(path, entry))));
      if (answering.some(Boolean)) continue;
      await rm(path, { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** Whether something listens on the unix socket at `path` (a connection it accepts is closed at once). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (listening: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(listening);
    };
    // Neither accepted nor refused within a second: something is there, busy.
    const timer = setTimeout(() => done(true), 1000);
    socket.once("connect", () => done(true));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code !== "ECONNREFUSED" && error.code !== "ENOENT" && error.code !== "ENOTSOCK"));
  });
}


function baseDir(): string {
  const fits = (base: string): boolean => Buffer.byteLength(base) + ROOM_FOR_NAMES <= MAX_SOCKET_PATH_BYTES;
  const preferred = tmpdir();
  if (fits(preferred)) return preferred;
  for (const candidate of ["/tmp", "/var/tmp", "/usr/tmp"]) {
    try {
      if (statSync(candidate).isDirectory()) {
        accessSync(candidate, constants.W_OK | constants.X_OK);
        return candidate;
      }
    } catch {
      // not there, or not ours to write in: the next one
    }
  }
  throw new RangeError(
    `Cannot make unix sockets: the temporary directory ${JSON.stringify(preferred)} is too long for their paths (at most ${MAX_SOCKET_PATH_BYTES - ROOM_FOR_NAMES} bytes), and none of /tmp, /var/tmp, /usr/tmp can be used; set TMPDIR to a shorter directory`,
  );
}

/** A fresh unix socket path inside the directory; `prefix` says what it is for. */
export function socketPath(prefix: string): string {
  counter += 1;
  const directory = socketDir();
  // Swept by a process that took this one for gone (a /tmp shared across pid namespaces): again.
  if (!existsSync(directory)) mkdirSync(directory, { recursive: true, mode: 0o700 });
  return join(directory, `${prefix}-${counter}-${randomBytes(3).toString("hex")}.sock`);
}

/** Refuses a unix socket path too long to be one (Node would cut it short and use another path). */
export function checkSocketPathLength(path: string, where: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new RangeError(`${where}: the unix socket path ${JSON.stringify(path)} is too long (${bytes} bytes; at most ${MAX_SOCKET_PATH_BYTES})`);
  }
}
