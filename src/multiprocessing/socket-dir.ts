/**
 * A private directory per process for the unix sockets it listens on (pipes, the object server,
 * default `Listener` addresses), like CPython's `util.get_temp_dir()`. Created on first use with mode
 * 0700, removed when the process exits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

let dir: string | undefined;
let counter = 0;

/** The directory, created on first call. */
export function socketDir(): string {
  if (dir === undefined) {
    // Unix socket paths are limited to ~107 bytes: keep the name short.
    dir = mkdtempSync(join(tmpdir(), `shoal-${process.pid}-`));
    const created = dir;
    process.once("exit", () => rmSync(created, { recursive: true, force: true }));
  }
  return dir;
}

/** A fresh unix socket path inside the directory; `prefix` says what it is for. */
export function socketPath(prefix: string): string {
  counter += 1;
  return join(socketDir(), `${prefix}-${counter}-${randomBytes(3).toString("hex")}.sock`);
}
