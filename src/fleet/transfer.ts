/**
 * put and get for one host over SFTP: atomic on the far side (a temporary name in the same folder,
 * renamed when complete), skipped when unchanged (size and mtime, or a SHA-256 with `checksum`).
 *
 * In a tree, symbolic links are copied as links (as `rsync -a` and `cp -a` do): a link to a folder
 * is not copied twice, one pointing outside the tree does not bring that outside along, and a
 * dangling one is copied as it is. The path given (LOCAL for put, REMOTE for get) is followed.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, readdir, readlink, rename, rm, rmdir, stat, symlink, utimes } from "node:fs/promises";
import type { Stats as LocalStats } from "node:fs";
import { basename, dirname, join, posix, relative, resolve, sep } from "node:path";
import type { Stats } from "ssh2";
import type { HostConnection } from "./connection.js";
import { FleetError } from "./fleet-error.js";
import { FileError, localFileError } from "./file-error.js";
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
  /** The permission bits of the root folder (for a tree), given to the folder it becomes. */
  mode: number;
  files: LocalFile[];
  /** Relative paths, parents first, with their permission bits. */
  dirs: { rel: string; mode: number }[];
  /** Symbolic links, copied as links: relative path and where the link points. */
  links: { rel: string; target: string }[];
  /** Relative paths of what is neither file, folder nor link (a pipe, a socket, a device): not copied. */
  ignored: string[];
  totalBytes: number;
}

/**
 * Lists what `put` will send (once for the whole run). A local file that cannot be read fails the
 * whole run before any host: an error saying which file and why, in the words a host's would use,
 * with the file system's `code` and `path`.
 */
export async function scanLocal(path: string, options: TransferOptions): Promise<LocalTree> {
  try {
    return await scanTree(path, options);
  } catch (err) {
    const { code, path: where } = err as NodeJS.ErrnoException;
    if (typeof code !== "string" || err instanceof RangeError) throw err;
    throw localFileError(`Cannot put ${where ?? path}`, err as NodeJS.ErrnoException);
  }
}

async function scanTree(path: string, options: TransferOptions): Promise<LocalTree> {
  const st = await stat(path);
  if (st.isDirectory() && !options.recursive) throw new RangeError(`Cannot put ${path}: it is a folder (copy it recursively: -r, or the recursive option)`);
  if (!st.isDirectory() && !st.isFile()) throw new RangeError(`Cannot put ${path}: it is not a file (a device, a pipe or a socket)`);
  const tree: LocalTree = { root: path, isDir: st.isDirectory(), mode: st.mode & 0o7777, files: [], dirs: [], links: [], ignored: [], totalBytes: 0 };
  const add = async (abs: string, rel: string, s: LocalStats) => {
    if (s.isDirectory()) {
      if (rel) tree.dirs.push({ rel, mode: s.mode & 0o7777 });
      for (const name of (await readdir(abs)).sort()) {
        const child = join(abs, name);
        await add(child, rel ? `${rel}/${name}` : name, await lstat(child));
      }
    } else if (s.isFile()) {
      tree.files.push({ rel, abs, size: s.size, mtime: Math.floor(s.mtimeMs / 1000), mtimeMs: s.mtimeMs, mode: s.mode & 0o7777, sha256: options.checksum ? await sha256File(abs) : undefined });
      tree.totalBytes += s.size;
    } else if (s.isSymbolicLink()) tree.links.push({ rel, target: await readlink(abs) });
    else tree.ignored.push(rel);
  };
  await add(path, "", st);
  return tree;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export interface TransferProgress {
  /** Bytes done so far on this host (copied or found unchanged), and of how many, once known. */
  (bytesDone: number, totalBytes: number): void;
}

export interface TransferOutcome {
  /** Bytes copied (not those of unchanged files). */
  bytes: number;
  /** Files copied, and files found unchanged. */
  files: number;
  skipped: number;
  /** Symbolic links made (unchanged ones count as skipped). */
  links: number;
  /** Entries neither file, folder nor link, not copied. */
  ignored: number;
}

/** How long a failed copy may spend removing its temporary file before the host ends. */
const CLEANUP_MS = 2_000;

/** statvfs's flag for a read-only file system. */
const ST_RDONLY = 1;

/** What ssh2 gives for `statvfs@openssh.com` (its 64-bit fields as numbers, or as strings or bigints past 2^53). */
interface StatVfs {
  f_flag: number | string | bigint;
  f_bavail: number | string | bigint;
  f_favail: number | string | bigint;
}

/**
 * The temporary name a copy is written under, in the target's folder: `.NAME.shoal-XXXXXXXX.tmp`.
 * A name too long to take the additions (file names are limited to 255 bytes) is replaced by a hash.
 */
function tempName(dir: string, name: string, joinPath: (a: string, b: string) => string): string {
  const stem = Buffer.byteLength(name) > 200 ? createHash("sha256").update(name).digest("hex").slice(0, 16) : name;
  return joinPath(dir, `.${stem}.shoal-${randomBytes(4).toString("hex")}.tmp`);
}

/** `~` and `~/…` as scp takes them: SFTP paths that are not absolute start at the home folder. */
function expandHome(remote: string): string {
  if (remote === "~") return ".";
  return remote.startsWith("~/") ? `./${remote.slice(2)}` : remote;
}

async function remoteSha256(conn: HostConnection, path: string): Promise<string | undefined> {
  let out = "";
  // Read from stdin: sha256sum escapes names with a backslash or a newline in what it prints.
  const r = await conn.exec(`sha256sum < ${shellQuote(path)} 2>/dev/null || shasum -a 256 < ${shellQuote(path)}`, {
    onData: (s, c) => {
      if (s === "stdout") out += c.toString();
    },
    timeout: 60_000,
  });
  return r.status === 0 ? out.split(/\s/)[0] : undefined;
}

/**
 * After a failed write: removes the temporary file through a new SFTP session (the one in use was
 * ended, to stop ssh2's writes), within CLEANUP_MS; with `explain`, first asks the server why a
 * write failed with its generic status (a full or read-only file system). The connection may be
 * gone too: the temporary file then stays, under its .shoal-….tmp name.
 */
async function cleanUpRemote(conn: HostConnection, tmp: string, explain: boolean): Promise<string | undefined> {
  let fresh: SftpSession | undefined;
  const work = (async () => {
    fresh = await conn.sftp();
    const session = fresh;
    // Asked before the temporary file goes: removing it frees the space it filled.
    const dir = posix.dirname(tmp);
    const why = explain ? await whyFailed(session, dir) : undefined;
    await session.call<void>(tmp, (cb) => session.raw.unlink(tmp, () => cb(undefined, undefined)));
    return why;
  })();
  work.then(
    () => fresh?.end(),
    () => fresh?.end(),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, CLEANUP_MS, undefined)));
  try {
    return await Promise.race([work, late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** SFTP's generic status: the server did not say why (a full disk says no more than this). */
function isGenericFailure(err: unknown): boolean {
  return !(err instanceof FleetError) && (err as { code?: unknown }).code === 4;
}

/** Sends a scanned local tree to one host. */
export async function putTree(conn: HostConnection, tree: LocalTree, remote: string, options: TransferOptions, progress: TransferProgress): Promise<TransferOutcome> {
  const sftp = await conn.sftp(options.signal);
  try {
    const target = await remoteTarget(sftp, tree, expandHome(remote));
    for (const d of tree.dirs) await mkdirRemote(sftp, posix.join(target, d.rel), d.mode, true);
    const outcome: TransferOutcome = { bytes: 0, files: 0, skipped: 0, links: 0, ignored: tree.ignored.length };
    let done = 0;
    for (const f of tree.files) {
      options.signal?.throwIfAborted();
      const dest = f.rel ? posix.join(target, f.rel) : target;
      const existing = await sftp.stat(dest, `cannot write ${dest}`);
      if (existing && existing.size === f.size) {
        const same = options.checksum ? (await remoteSha256(conn, dest)) === f.sha256 : existing.mtime === f.mtime;
        if (same) {
          outcome.skipped++;
          done += f.size;
          progress(done, tree.totalBytes);
          continue;
        }
      }
      const tmp = tempName(posix.dirname(dest), posix.basename(dest), posix.join);
      const base = done;
      const watch = shrinkWatch((sent) => progress(base + sent, tree.totalBytes), () => sftp.end());
      try {
        await sftp.call<void>(dest, (cb) =>
          sftp.raw.fastPut(f.abs, tmp, { concurrency: 64, chunkSize: 32768, mode: f.mode, step: watch.step }, (err) => cb(err, undefined)),
        );
        // A file written to during the copy would be installed torn: refused instead.
        const after = await stat(f.abs);
        if (after.size !== f.size || after.mtimeMs !== f.mtimeMs) throw new FileError(`${f.abs} changed during the copy; nothing was installed (copy it again)`);
        await sftp.call<void>(dest, (cb) => sftp.raw.utimes(tmp, f.mtime, f.mtime, (err) => cb(err, undefined)));
        await renameRemote(sftp, tmp, dest);
      } catch (err) {
        // The file under its real name is untouched; the temporary one goes, if the connection
        // still can. Ending the session first stops ssh2's writes (after a timeout or a cancel,
        // they go on), which would otherwise keep filling the disk.
        sftp.end();
        const why = await cleanUpRemote(conn, tmp, isGenericFailure(err));
        if (watch.shrank()) throw new FileError(`${f.abs} shrank during the copy (it had ${f.size} bytes); nothing was installed`);
        throw FileError.of(`cannot write ${dest}`, err, why);
      }
      done = base + f.size;
      outcome.bytes += f.size;
      outcome.files++;
      progress(done, tree.totalBytes);
    }
    for (const l of tree.links) {
      options.signal?.throwIfAborted();
      const dest = posix.join(target, l.rel);
      const existing = await sftp.lstat(dest, `cannot make the link ${dest}`);
      if (existing?.isSymbolicLink() && (await sftp.call<string>(dest, (cb) => sftp.raw.readlink(dest, cb)).catch(() => undefined)) === l.target) {
        outcome.skipped++;
        continue;
      }
      if (existing?.isDirectory()) throw new FileError(`cannot make the link ${dest}: a folder is in the way`, `cannot make the link ${dest}: a folder is in the way`);
      const tmp = tempName(posix.dirname(dest), posix.basename(dest), posix.join);
      try {
        await sftp.call<void>(dest, (cb) => sftp.raw.symlink(l.target, tmp, (err) => cb(err, undefined)));
        await renameRemote(sftp, tmp, dest);
      } catch (err) {
        if (sftp.channelOpen) await sftp.call<void>(tmp, (cb) => sftp.raw.unlink(tmp, () => cb(undefined, undefined))).catch(() => {});
        throw FileError.of(`cannot make the link ${dest}`, err, isGenericFailure(err) && sftp.channelOpen ? await whyFailed(sftp, posix.dirname(dest)) : undefined);
      }
      outcome.links++;
    }
    // Folders were made writable for their owner, to fill them: now their own bits, deepest first
    // (a read-only folder copied as read-only, after what it holds).
    for (const d of [...tree.dirs].reverse()) await chmodRemote(sftp, posix.join(target, d.rel), d.mode);
    if (tree.isDir) await chmodRemote(sftp, target, tree.mode);
    return outcome;
  } finally {
    sftp.end();
  }
}

/**
 * Where a copy lands. A folder (with -r) becomes REMOTE itself, so that running the same put again
 * finds the same files (and skips them); with a trailing slash it goes under REMOTE/NAME. A file goes
 * to REMOTE, or under it when REMOTE is a folder or ends with a slash. A missing REMOTE/ is made,
 * one level, for a file as for a folder.
 */
async function remoteTarget(sftp: SftpSession, tree: LocalTree, remote: string): Promise<string> {
  const under = remote.endsWith("/");
  // `basename("..")` would climb out of REMOTE: the name is the folder's real one.
  const name = basename(resolve(tree.root));
  const target = under ? posix.join(remote, name) : remote;
  if (under) await mkdirRemote(sftp, remote);
  if (tree.isDir) {
    await mkdirRemote(sftp, target, tree.mode);
    return target;
  }
  if (!under && (await sftp.stat(remote, `cannot write ${remote}`))?.isDirectory()) return posix.join(remote, name);
  return target;
}

/**
 * Makes a remote folder (one level), unless it is there, with the given permission bits and the
 * owner's rwx (to write what it will hold; putTree sets the bits themselves at the end). Inside a
 * tree (`ownFolder`), a link where a folder goes is refused, as `cp -a` does: followed, the host's
 * link would take the files wherever it points.
 */
async function mkdirRemote(sftp: SftpSession, path: string, mode?: number, ownFolder = false): Promise<void> {
  const action = `cannot create folder ${path}`;
  const st = ownFolder ? await sftp.lstat(path, action) : await sftp.stat(path, action);
  if (st?.isDirectory()) {
    // A read-only folder of an earlier put of the tree: writable for the owner while it is filled.
    if (mode !== undefined && (st.mode & 0o700) !== 0o700) await chmodRemote(sftp, path, (st.mode & 0o7777) | 0o700, true);
    return;
  }
  if (st?.isSymbolicLink()) throw new FileError(`${action}: a link is in the way (remove it, or copy to another path)`, `${action}: a link is in the way`);
  if (st) throw new FileError(`${action}: a file is in the way`, `${action}: a file is in the way`);
  await sftp.call<void>(path, (cb) => sftp.raw.mkdir(path, mode === undefined ? {} : { mode: mode | 0o700 }, (err) => cb(err, undefined))).catch(async (err: Error) => {
    throw FileError.of(action, err, isGenericFailure(err) ? await whyFailed(sftp, posix.dirname(path)) : undefined);
  });
}

/** Why the server failed a request with SFTP's generic status, when statvfs tells: a full or read-only file system. */
async function whyFailed(sftp: SftpSession, dir: string): Promise<string | undefined> {
  return sftp.call<StatVfs>(dir, (cb) => sftp.raw.ext_openssh_statvfs(dir, cb)).then(
    (fs) => (Number(fs.f_flag) & ST_RDONLY ? "read-only file system" : Number(fs.f_bavail) === 0 || Number(fs.f_favail) === 0 ? "no space left on the device" : undefined),
    () => undefined,
  );
}

/** Gives a folder this put made its own permission bits, if they lack the owner's rwx it was made with (or, `always`, whatever they are). */
async function chmodRemote(sftp: SftpSession, path: string, mode: number, always = false): Promise<void> {
  if (!always && (mode & 0o700) === 0o700) return;
  await sftp.call<void>(path, (cb) => sftp.raw.chmod(path, mode, (err) => cb(err, undefined))).catch((err: unknown) => {
    throw FileError.of(`cannot set the permissions of ${path}`, err);
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

/** A host's folder under LOCALDIR: its name, made safe as one path component. */
export function hostFolderName(host: string): string {
  const safe = host.replace(/[/\\]/g, "_");
  return safe === "." || safe === ".." || safe === "" ? safe.replace(/\./g, "_") || "_" : safe;
}

/**
 * The name a fetched REMOTE takes under LOCALDIR/HOST. For `.`, `..` or a path ending in them it
 * is the folder's real name on the host (asked of the server), never a way up out of
 * LOCALDIR/HOST; for `/` there is none: what it holds goes straight into LOCALDIR/HOST.
 */
async function fetchedName(sftp: SftpSession, remote: string): Promise<string> {
  const name = posix.basename(remote);
  if (name !== "." && name !== ".." && name !== "") return name;
  const real = await sftp.call<string>(remote, (cb) => sftp.raw.realpath(remote, cb)).catch((err: unknown) => Promise.reject(FileError.of(`cannot resolve ${remote}`, err)));
  return posix.basename(real);
}

interface RemoteEntry {
  remote: string;
  local: string;
  size: number;
  mtime: number;
  mode: number;
}

/** Fetches a remote file or tree into `localDir/<host>/...`. */
export async function getTree(conn: HostConnection, host: string, remote: string, localDir: string, options: TransferOptions, progress: TransferProgress): Promise<TransferOutcome> {
  const sftp = await conn.sftp(options.signal);
  const hostDir = join(localDir, hostFolderName(host));
  // A host whose get fails leaves no empty folder of its own behind.
  const hadHostDir = (await stat(hostDir).catch(() => undefined)) !== undefined;
  try {
    remote = expandHome(remote);
    const st = await sftp.stat(remote);
    if (!st) throw new FileError(`no such file: ${remote}`);
    if (st.isDirectory() && !options.recursive) throw new FileError(`${remote} is a folder (copy it recursively: -r, or the recursive option)`);
    const files: RemoteEntry[] = [];
    const links: { remote: string; local: string }[] = [];
    let ignored = 0;
    const makeLocalDir = (l: string, mode?: number) =>
      mkdir(l, { recursive: true, ...(mode === undefined ? {} : { mode }) }).catch((err: unknown) => Promise.reject(FileError.of(`cannot create local folder ${l}`, err)));
    const walk = async (r: string, l: string, s: Stats) => {
      if (s.isDirectory()) {
        // A link where a folder goes is refused, as cp -a does: followed (mkdir takes a link to a
        // folder as the folder), a host's link from an earlier get would take the files anywhere.
        if ((await lstat(l).catch(() => undefined))?.isSymbolicLink()) throw new FileError(`cannot create local folder ${l}: a link is in the way (remove it, or get into another folder)`, `cannot create local folder ${l}: a link is in the way`);
        // The folder's permission bits, and always the owner's rwx, to write what it holds.
        await makeLocalDir(l, (s.mode & 0o777) | 0o700);
        const entries = await sftp.call<{ filename: string; attrs: Stats }[]>(r, (cb) => sftp.raw.readdir(r, cb)).catch((err: unknown) => Promise.reject(FileError.of(`cannot list ${r}`, err)));
        for (const e of entries.sort((a, b) => (a.filename < b.filename ? -1 : 1))) await walk(posix.join(r, e.filename), join(l, e.filename), e.attrs);
      } else if (s.isFile()) files.push({ remote: r, local: l, size: s.size, mtime: s.mtime, mode: s.mode & 0o777 });
      else if (s.isSymbolicLink()) links.push({ remote: r, local: l });
      else ignored++;
    };
    await makeLocalDir(hostDir);
    const name = await fetchedName(sftp, remote);
    await walk(remote, name ? join(hostDir, name) : hostDir, st);
    const total = files.reduce((n, f) => n + f.size, 0);
    const outcome: TransferOutcome = { bytes: 0, files: 0, skipped: 0, links: 0, ignored };
    let done = 0;
    progress(0, total);
    for (const f of files) {
      options.signal?.throwIfAborted();
      const have = await stat(f.local).catch(() => undefined);
      if (have && have.size === f.size && Math.floor(have.mtimeMs / 1000) === f.mtime && !options.checksum) {
        outcome.skipped++;
        done += f.size;
        progress(done, total);
        continue;
      }
      const tmp = tempName(dirname(f.local), basename(f.local), join);
      const base = done;
      await makeLocalDir(dirname(f.local));
      const watch = shrinkWatch((got) => progress(base + got, total), () => sftp.end());
      try {
        // The remote permission bits, as scp and sftp keep them: a private key stays private.
        await sftp.call<void>(f.remote, (cb) => sftp.raw.fastGet(f.remote, tmp, { concurrency: 64, chunkSize: 32768, mode: f.mode, step: watch.step }, (err) => cb(err, undefined)));
        await utimes(tmp, f.mtime, f.mtime);
        await rename(tmp, f.local);
      } catch (err) {
        // Nothing half-fetched is left under the real name, nor under the temporary one.
        await rm(tmp, { force: true }).catch(() => {});
        if (watch.shrank()) throw new FileError(`${f.remote} shrank during the copy (it had ${f.size} bytes); nothing was saved`);
        throw FileError.of(`cannot fetch ${f.remote}`, err);
      }
      done = base + f.size;
      outcome.bytes += f.size;
      outcome.files++;
      progress(done, total);
    }
    for (const l of links) {
      options.signal?.throwIfAborted();
      const target = await sftp.call<string>(l.remote, (cb) => sftp.raw.readlink(l.remote, cb)).catch((err: unknown) => Promise.reject(FileError.of(`cannot read the link ${l.remote}`, err)));
      const have = await lstat(l.local).catch(() => undefined);
      if (have?.isSymbolicLink() && (await readlink(l.local).catch(() => undefined)) === target) {
        outcome.skipped++;
        continue;
      }
      const tmp = tempName(dirname(l.local), basename(l.local), join);
      try {
        await symlink(target, tmp);
        await rename(tmp, l.local);
      } catch (err) {
        await rm(tmp, { force: true }).catch(() => {});
        throw FileError.of(`cannot make the link ${l.local}`, err);
      }
      outcome.links++;
    }
    return outcome;
  } catch (err) {
    if (!hadHostDir) await rmdir(hostDir).catch(() => {});
    throw err;
  } finally {
    sftp.end();
  }
}

/** Relative display path (for messages). */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r.split(sep).join("/") : p;
}
