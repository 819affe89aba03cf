/**
 * put and get for one host over SFTP: atomic on the far side (a temporary name in the same folder,
 * renamed when complete), skipped when unchanged (size and mtime, or a SHA-256 with `checksum`).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { basename, dirname, join, posix, relative, sep } from "node:path";
import type { Stats } from "ssh2";
import type { HostConnection } from "./connection.js";
import { FleetError } from "./fleet-error.js";
import { FileError } from "./file-error.js";
import type { SftpSession } from "./sftp-session.js";
import { shellQuote } from "../internal/shell-quote.js";

export interface TransferOptions {
  /** Copy folders and everything under them. */
  recursive?: boolean | undefined;
  /** Compare SHA-256 instead of size and mtime to decide whether a file is unchanged. */
  checksum?: boolean | undefined;
  /** Milliseconds for the whole copy on each host, from its start there; undefined waits as long as it takes. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A local file to send, with what skip-if-unchanged compares. */
export interface LocalFile {
  /** Path relative to the copied root, with `/` separators ("" for a single file). */
  rel: string;
  abs: string;
  size: number;
  mtime: number; // whole seconds, as SFTP carries it
  /** The modification time to the nanosecond's precision Node gives, to notice a change during the copy. */
  mtimeMs: number;
  mode: number;
  sha256?: string | undefined;
}

/**
 * A `step` for ssh2's fastPut/fastGet that notices a source file shrinking under the copy (as
 * logrotate's copytruncate does): ssh2 then asks for the missing bytes again and again, for ever,
 * getting none. After a run of empty reads, `stop()` is called (it ends the SFTP session, the one
 * way to make ssh2 give up) and `shrank()` says so.
 */
function shrinkWatch(onStep: (total: number) => void, stop: () => void): { step: (total: number, chunk: number) => void; shrank: () => boolean } {
  let empty = 0;
  let shrank = false;
  return {
    step: (total, chunk) => {
      if (chunk > 0) empty = 0;
      else if (++empty >= 32 && !shrank) {
        shrank = true;
        stop();
      }
      onStep(total);
    },
    shrank: () => shrank,
  };
}

export interface LocalTree {
  root: string;
  isDir: boolean;
  files: LocalFile[];
  dirs: string[]; // relative, parents first
  totalBytes: number;
}

/** Lists what `put` will send (once for the whole run). */
export async function scanLocal(path: string, options: TransferOptions): Promise<LocalTree> {
  const st = await stat(path);
  if (st.isDirectory() && !options.recursive) throw new RangeError(`Cannot put ${path}: it is a folder (use -r)`);
  if (!st.isDirectory() && !st.isFile()) throw new RangeError(`Cannot put ${path}: it is not a file (a device, a pipe or a socket)`);
  const files: LocalFile[] = [];
  const dirs: string[] = [];
  const add = async (abs: string, rel: string) => {
    const s = await stat(abs);
    if (s.isDirectory()) {
      if (rel) dirs.push(rel);
      for (const name of (await readdir(abs)).sort()) await add(join(abs, name), rel ? `${rel}/${name}` : name);
    } else if (s.isFile()) {
      files.push({ rel, abs, size: s.size, mtime: Math.floor(s.mtimeMs / 1000), mtimeMs: s.mtimeMs, mode: s.mode & 0o7777, sha256: options.checksum ? await sha256File(abs) : undefined });
    }
  };
  await add(path, "");
  return { root: path, isDir: st.isDirectory(), files, dirs, totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export interface TransferProgress {
  (bytesDone: number): void;
}

export interface TransferOutcome {
  bytes: number;
  files: number;
  skipped: number;
}

async function remoteSha256(conn: HostConnection, path: string): Promise<string | undefined> {
  let out = "";
  const r = await conn.exec(`sha256sum -- ${shellQuote(path)} 2>/dev/null || shasum -a 256 -- ${shellQuote(path)}`, {
    onData: (s, c) => {
      if (s === "stdout") out += c.toString();
    },
    timeout: 60_000,
  });
  return r.status === 0 ? out.split(/\s/)[0] : undefined;
}

/** Removes a remote file through a new SFTP session (the one in use was ended); failures are ignored. */
async function removeRemote(conn: HostConnection, path: string): Promise<void> {
  try {
    const fresh = await conn.sftp();
    try {
      await fresh.call<void>(path, (cb) => fresh.raw.unlink(path, (err) => cb(err, undefined)));
    } finally {
      fresh.end();
    }
  } catch {
    // the connection may be gone too: the temporary file stays, under its .shoal-….tmp name
  }
}

/** Sends a scanned local tree to one host. */
export async function putTree(conn: HostConnection, tree: LocalTree, remote: string, options: TransferOptions, progress: TransferProgress): Promise<TransferOutcome> {
  const sftp = await conn.sftp(options.signal);
  try {
    const target = await remoteTarget(sftp, tree, remote);
    for (const d of tree.dirs) await mkdirRemote(sftp, posix.join(target, d));
    let done = 0;
    let files = 0;
    let skipped = 0;
    for (const f of tree.files) {
      options.signal?.throwIfAborted();
      const dest = f.rel ? posix.join(target, f.rel) : target;
      const existing = await sftp.stat(dest);
      if (existing && existing.size === f.size) {
        const same = options.checksum ? (await remoteSha256(conn, dest)) === f.sha256 : existing.mtime === f.mtime;
        if (same) {
          skipped++;
          done += f.size;
          progress(done);
          continue;
        }
      }
      const tmp = posix.join(posix.dirname(dest), `.${posix.basename(dest)}.shoal-${randomBytes(4).toString("hex")}.tmp`);
      const base = done;
      const watch = shrinkWatch((sent) => progress(base + sent), () => sftp.end());
      try {
        await sftp.call<void>(dest, (cb) =>
          sftp.raw.fastPut(f.abs, tmp, { concurrency: 64, chunkSize: 32768, mode: f.mode, step: watch.step }, (err) => cb(err, undefined)),
        );
        // A file written to during the copy would be installed torn: refused instead.
        const after = await stat(f.abs);
        if (after.size !== f.size || after.mtimeMs !== f.mtimeMs) {
          await new Promise<void>((resolve) => sftp.raw.unlink(tmp, () => resolve()));
          throw new FileError(`${f.abs} changed during the copy; nothing was installed (copy it again)`);
        }
        await sftp.call<void>(dest, (cb) => sftp.raw.utimes(tmp, f.mtime, f.mtime, (err) => cb(err, undefined)));
        await renameRemote(sftp, tmp, dest);
      } catch (err) {
        // The file under its real name is untouched; the temporary one goes, if the connection still can.
        if (watch.shrank()) {
          await removeRemote(conn, tmp); // the SFTP session was ended to stop ssh2
          throw new FileError(`${f.abs} shrank during the copy (it had ${f.size} bytes); nothing was installed`);
        }
        // Not awaited: behind a slow host's queued writes, it would hold up the host's end (a timeout).
        if (sftp.channelOpen) sftp.raw.unlink(tmp, () => {});
        throw FileError.of(`cannot write ${dest}`, err);
      }
      done = base + f.size;
      files++;
      progress(done);
    }
    return { bytes: done, files, skipped };
  } finally {
    sftp.end();
  }
}

/**
 * Where a copy lands. A folder (with -r) becomes REMOTE itself, so that running the same put again
 * finds the same files (and skips them); with a trailing slash it goes under REMOTE/NAME. A file goes
 * to REMOTE, or under it when REMOTE is a folder or ends with a slash.
 */
async function remoteTarget(sftp: SftpSession, tree: LocalTree, remote: string): Promise<string> {
  const under = remote.endsWith("/");
  const target = under ? posix.join(remote, basename(tree.root)) : remote;
  if (tree.isDir) {
    if (under) await mkdirRemote(sftp, remote);
    await mkdirRemote(sftp, target);
    return target;
  }
  if (!under && (await sftp.stat(remote))?.isDirectory()) return posix.join(remote, basename(tree.root));
  return target;
}

async function mkdirRemote(sftp: SftpSession, path: string): Promise<void> {
  const st = await sftp.stat(path);
  if (st?.isDirectory()) return;
  await sftp.call<void>(path, (cb) => sftp.raw.mkdir(path, (err) => cb(err, undefined))).catch((err: Error) => {
    throw FileError.of(`cannot create folder ${path}`, err);
  });
}

async function renameRemote(sftp: SftpSession, from: string, to: string): Promise<void> {
  // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses an existing one.
  try {
    await sftp.call<void>(to, (cb) => sftp.raw.ext_openssh_rename(from, to, (err) => cb(err, undefined)));
    return;
  } catch (err) {
    if (err instanceof FleetError) throw err;
    /* not supported: fall back */
  }
  await sftp.call<void>(to, (cb) => sftp.raw.unlink(to, () => cb(undefined, undefined)));
  await sftp.call<void>(to, (cb) => sftp.raw.rename(from, to, (err) => cb(err, undefined)));
}

/** Fetches a remote file or tree into `localDir/<host>/...`. */
export async function getTree(conn: HostConnection, host: string, remote: string, localDir: string, options: TransferOptions, progress: TransferProgress): Promise<TransferOutcome> {
  const sftp = await conn.sftp(options.signal);
  try {
    const st = await sftp.stat(remote);
    if (!st) throw new FileError(`no such file: ${remote}`);
    if (st.isDirectory() && !options.recursive) throw new FileError(`${remote} is a folder (use -r)`);
    const hostDir = join(localDir, host.replace(/[/\\]/g, "_"));
    const list: { remote: string; local: string; size: number; mtime: number; mode: number }[] = [];
    const walk = async (r: string, l: string, s: Stats) => {
      if (s.isDirectory()) {
        await mkdir(l, { recursive: true }).catch((err: unknown) => Promise.reject(FileError.of(`cannot create local folder ${l}`, err)));
        const entries = await sftp.call<{ filename: string; attrs: Stats }[]>(r, (cb) => sftp.raw.readdir(r, cb)).catch((err: unknown) => Promise.reject(FileError.of(`cannot list ${r}`, err)));
        for (const e of entries.sort((a, b) => (a.filename < b.filename ? -1 : 1))) await walk(posix.join(r, e.filename), join(l, e.filename), e.attrs);
      } else if (s.isFile()) list.push({ remote: r, local: l, size: s.size, mtime: s.mtime, mode: s.mode & 0o7777 });
    };
    await mkdir(hostDir, { recursive: true }).catch((err: unknown) => Promise.reject(FileError.of(`cannot create local folder ${hostDir}`, err)));
    await walk(remote, join(hostDir, posix.basename(remote)), st);
    let done = 0;
    let files = 0;
    let skipped = 0;
    for (const f of list) {
      options.signal?.throwIfAborted();
      const have = await stat(f.local).catch(() => undefined);
      if (have && have.size === f.size && Math.floor(have.mtimeMs / 1000) === f.mtime && !options.checksum) {
        skipped++;
        done += f.size;
        progress(done);
        continue;
      }
      const tmp = join(dirname(f.local), `.${basename(f.local)}.shoal-${randomBytes(4).toString("hex")}.tmp`);
      const base = done;
      await mkdir(dirname(f.local), { recursive: true });
      const watch = shrinkWatch((got) => progress(base + got), () => sftp.end());
      try {
        await sftp.call<void>(f.remote, (cb) => sftp.raw.fastGet(f.remote, tmp, { concurrency: 64, chunkSize: 32768, step: watch.step }, (err) => cb(err, undefined)));
        await utimes(tmp, f.mtime, f.mtime);
        await rename(tmp, f.local);
      } catch (err) {
        // Nothing half-fetched is left under the real name, nor under the temporary one.
        await rm(tmp, { force: true });
        if (watch.shrank()) throw new FileError(`${f.remote} shrank during the copy (it had ${f.size} bytes); nothing was saved`);
        throw FileError.of(`cannot fetch ${f.remote}`, err);
      }
      done = base + f.size;
      files++;
      progress(done);
    }
    return { bytes: done, files, skipped };
  } finally {
    sftp.end();
  }
}

/** Relative display path (for messages). */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r.split(sep).join("/") : p;
}
