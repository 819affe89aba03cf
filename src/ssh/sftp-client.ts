/**
 * paramiko's `SFTPClient` over ssh2's SFTP session. Transfers are pipelined (see sftp-transfer.ts)
 * and write to a temporary name that is renamed over the real one only when complete: a transfer
 * cut in the middle never leaves a truncated file under the real name, on either side.
 */
import { randomBytes } from "node:crypto";
import { open as openLocal, rename as renameLocal, rm, mkdir as mkdirLocal, readdir as readdirLocal, stat as statLocal, utimes, chmod as chmodLocal } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import type { Stats } from "node:fs";
import type { InputAttributes, SFTPWrapper, Stats as RemoteStats } from "ssh2";
import { awaitReply, replyTimeout, setReplyTimeout } from "./sftp-reply.js";
import { describe } from "../internal/options.js";
import { SSHException } from "./errors.js";
import { SFTPAttributes } from "./sftp-attributes.js";
import { ConnectionLost, NoSuchFile, SFTPError, SFTP_STATUS, toSftpError } from "./sftp-error.js";
import { SFTPFile } from "./sftp-file.js";
import { download, fileChunks, readableChunks, upload, writableSink } from "./sftp-transfer.js";
import type { TransferCallback } from "./sftp-transfer.js";
import type { Transport } from "./transport.js";
import { checkChannelLimits, keepWindow } from "./channel-window.js";
import type { ChannelLimits } from "./channel-window.js";

const posix = path.posix;
/** What ssh2 throws, before sending anything, for an extension the server did not advertise. */
const UNSUPPORTED_EXTENSION = "Server does not support this extended request";

export interface PutOptions {
  /** Progress: `(bytesSent, total)`. */
  callback?: TransferCallback;
  /** Stat the remote file after the transfer and fail if its size differs (default true). */
  confirm?: boolean;
  /** Copy the local mode and times to the remote file. */
  preserve?: boolean;
  /** Requests in flight (default 16 blocks of the server's largest size). */
  maxConcurrentRequests?: number;
  signal?: AbortSignal;
}

export interface PutfoOptions extends Omit<PutOptions, "preserve"> {
  /** The size, for the callback and `confirm` (0 = unknown: no size check). */
  fileSize?: number;
}

export interface GetOptions {
  callback?: TransferCallback;
  /** Copy the remote mode and times to the local file. */
  preserve?: boolean;
  /** Pipelined reads (default true; false reads one block at a time). */
  prefetch?: boolean;
  maxConcurrentPrefetchRequests?: number;
  signal?: AbortSignal;
}

export class SFTPClient {
  readonly #sftp: SFTPWrapper;
  #cwd: string | null = null;
  #closed = false;

  /** @internal Use {@link SFTPClient.fromTransport} or `SSHClient.openSftp()`. */
  #pending = new Set<(error: Error) => void>();

  constructor(sftp: SFTPWrapper) {
    this.#sftp = sftp;
    sftp.on("error", () => {});
    // ssh2 leaves requests unanswered when the session goes away: fail them, and every later call.
    sftp.once("close", () => {
      this.#closed = true;
      for (const reject of this.#pending) reject(new ConnectionLost("sftp", SFTP_STATUS.FX_CONNECTION_LOST, "the SFTP session closed"));
      this.#pending.clear();
    });
  }

  /**
   * Opens an SFTP session on an authenticated transport. Its receive window is 16 MiB unless
   * `windowSize` says otherwise (from 2 MiB up), so that pipelined reads are never throttled by
   * it; `maxPacketSize` (up to 32768) is paramiko's `max_packet_size`.
   */
  static async fromTransport(transport: Transport, options: { timeout?: number } & ChannelLimits = {}): Promise<SFTPClient> {
    checkChannelLimits(options, "SFTPClient.fromTransport");
    const limits = { windowSize: options.windowSize, maxPacketSize: options.maxPacketSize };
    const sftp = await transport.openSftpChannel(options.timeout, limits);
    if (limits.windowSize === undefined) keepWindow(sftp, DEFAULT_WINDOW);
    return new SFTPClient(sftp);
  }

  /**
   * Bounds the wait for each reply of the server, in milliseconds, for this session's requests and
   * its open files' (null, the default, waits for ever): past it a call rejects `TimeoutError`
   * (phase `"sftp"`), as paramiko's requests raise `socket.timeout` past the channel's timeout.
   */
  settimeout(timeout: number | null): void {
    setReplyTimeout(this.#sftp, timeout, "SFTPClient.settimeout");
  }

  gettimeout(): number | null {
    return replyTimeout(this.#sftp);
  }

  /** The ssh2 SFTP session underneath. */
  get sftp(): SFTPWrapper {
    return this.#sftp;
  }

  #path(p: string): string {
    if (typeof p !== "string") throw new TypeError(`SFTPClient: a path must be a string: got ${describe(p)}`);
    if (this.#cwd === null || posix.isAbsolute(p)) return p;
    return posix.join(this.#cwd, p);
  }

  #call<T>(syscall: string, p: string | undefined, run: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    if (this.#closed) return Promise.reject(new SSHException(`Cannot ${syscall}: the SFTP session is closed`));
    return awaitReply<T>(this.#sftp, (resolve, reject) => {
      const onLost = (error: Error) => reject(toSftpError(error, syscall, p));
      this.#pending.add(onLost);
      try {
        run((error, value) => {
          this.#pending.delete(onLost);
          if (error) reject(toSftpError(error, syscall, p));
          else resolve(value as T);
        });
      } catch (error) {
        this.#pending.delete(onLost);
        // ssh2 throws at once for an extension the server did not advertise (paramiko's answer,
        // and what put's fallback waits for, is the server's own OP_UNSUPPORTED status) ...
        if ((error as Error).message === UNSUPPORTED_EXTENSION) {
          reject(toSftpError({ code: SFTP_STATUS.FX_OP_UNSUPPORTED, message: `the server does not offer the ${syscall} extension` }, syscall, p));
          return;
        }
        // ... and otherwise only for a bad argument (a mode of NaN, a non-string path): a user
        // mistake, not a lost connection.
        reject(new TypeError(`SFTPClient.${syscall}${p !== undefined ? ` '${p}'` : ""}: ${(error as Error).message}`, { cause: error }));
      }
    });
  }

  /** Entry names of a folder (no `.` and `..`). */
  async listdir(p = "."): Promise<string[]> {
    return (await this.listdirAttr(p)).map((entry) => entry.filename);
  }

  /** Entries of a folder with their attributes. */
  async listdirAttr(p = "."): Promise<SFTPAttributes[]> {
    const entries: SFTPAttributes[] = [];
    for await (const entry of this.listdirIter(p)) entries.push(entry);
    return entries;
  }

  /** Entries of a folder as they arrive (one READDIR batch at a time). */
  async *listdirIter(p = ".", _options: { readAheads?: number } = {}): AsyncGenerator<SFTPAttributes> {
    const target = this.#path(p);
    const handle = await this.#call<Buffer>("opendir", target, (done) => this.#sftp.opendir(target, done));
    try {
      for (;;) {
        const batch = await awaitReply<Array<{ filename: string; longname: string; attrs: RemoteStats }> | false>(this.#sftp, (resolve, reject) => {
          this.#sftp.readdir(handle, (error, list) => {
            if (error && (error as { code?: number }).code === SFTP_STATUS.FX_EOF) resolve(false);
            else if (error) reject(toSftpError(error, "readdir", target));
            else resolve(list as unknown as Array<{ filename: string; longname: string; attrs: RemoteStats }> | false);
          });
        });
        if (!batch) return;
        for (const entry of batch) {
          if (entry.filename === "." || entry.filename === "..") continue;
          yield SFTPAttributes.fromAttrs(entry.attrs, entry.filename, entry.longname);
        }
      }
    } finally {
      await this.#call<void>("close", target, (done) => this.#sftp.close(handle, done)).catch(() => {});
    }
  }

  /** Attributes of a path, following symlinks. */
  async stat(p: string): Promise<SFTPAttributes> {
    const target = this.#path(p);
    return SFTPAttributes.fromAttrs(await this.#call<RemoteStats>("stat", target, (done) => this.#sftp.stat(target, done)));
  }

  /** Attributes of a path, not following symlinks. */
  async lstat(p: string): Promise<SFTPAttributes> {
    const target = this.#path(p);
    return SFTPAttributes.fromAttrs(await this.#call<RemoteStats>("lstat", target, (done) => this.#sftp.lstat(target, done)));
  }

  #setstat(syscall: string, p: string, attrs: InputAttributes): Promise<void> {
    const target = this.#path(p);
    return this.#call<void>(syscall, target, (done) => this.#sftp.setstat(target, attrs, done));
  }

  async chmod(p: string, mode: number): Promise<void> {
    checkInteger(mode, "SFTPClient.chmod: mode");
    return this.#setstat("chmod", p, { mode });
  }

  async chown(p: string, uid: number, gid: number): Promise<void> {
    checkInteger(uid, "SFTPClient.chown: uid");
    checkInteger(gid, "SFTPClient.chown: gid");
    return this.#setstat("chown", p, { uid, gid });
  }

  /** Sets `[atime, mtime]` in seconds since the epoch, or now when null. */
  async utime(p: string, times: readonly [number, number] | null): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const [atime, mtime] = times ?? [now, now];
    if (typeof atime !== "number" || typeof mtime !== "number" || !Number.isFinite(atime) || !Number.isFinite(mtime)) {
      throw new TypeError(`SFTPClient.utime: times must be [atime, mtime] in seconds, or null: got ${describe(times)}`);
    }
    return this.#setstat("utime", p, { atime, mtime });
  }

  async truncate(p: string, size: number): Promise<void> {
    checkInteger(size, "SFTPClient.truncate: size");
    return this.#setstat("truncate", p, { size });
  }

  /** Creates a folder. An existing path fails with code `EEXIST`. */
  async mkdir(p: string, mode = 0o777): Promise<void> {
    const target = this.#path(p);
    try {
      await this.#call<void>("mkdir", target, (done) => this.#sftp.mkdir(target, { mode }, done));
    } catch (error) {
      throw await this.#refineFailure(error, target);
    }
  }

  async rmdir(p: string): Promise<void> {
    const target = this.#path(p);
    return this.#call<void>("rmdir", target, (done) => this.#sftp.rmdir(target, done));
  }

  /** Removes a file. */
  async remove(p: string): Promise<void> {
    const target = this.#path(p);
    return this.#call<void>("remove", target, (done) => this.#sftp.unlink(target, done));
  }

  /** Same as {@link remove}. */
  async unlink(p: string): Promise<void> {
    return this.remove(p);
  }

  /** SFTPv3 rename: fails (code `EEXIST`) if the target exists. */
  async rename(oldpath: string, newpath: string): Promise<void> {
    const from = this.#path(oldpath);
    const to = this.#path(newpath);
    try {
      await this.#call<void>("rename", from, (done) => this.#sftp.rename(from, to, done));
    } catch (error) {
      throw await this.#refineFailure(error, to);
    }
  }

  /** Rename that replaces the target (`posix-rename@openssh.com`). */
  async posixRename(oldpath: string, newpath: string): Promise<void> {
    const from = this.#path(oldpath);
    const to = this.#path(newpath);
    return this.#call<void>("posixRename", from, (done) => this.#sftp.ext_openssh_rename(from, to, done));
  }

  /**
   * Creates a symlink at `dest` pointing to `source` (paramiko's order). OpenSSH's server swaps the
   * two fields of the wire request; ssh2 already compensates for OpenSSH, so this is the same on both.
   */
  async symlink(source: string, dest: string): Promise<void> {
    const link = this.#path(dest);
    return this.#call<void>("symlink", link, (done) => this.#sftp.symlink(source, link, done));
  }

  /** The target of a symlink, or null when the path is not one. */
  async readlink(p: string): Promise<string | null> {
    const target = this.#path(p);
    try {
      return await this.#call<string>("readlink", target, (done) => this.#sftp.readlink(target, done));
    } catch (error) {
      // Not a symlink: OpenSSH answers BAD_MESSAGE (its EINVAL), others FAILURE.
      if (error instanceof SFTPError && (error.sftpCode === SFTP_STATUS.FX_FAILURE || error.sftpCode === SFTP_STATUS.FX_BAD_MESSAGE)) return null;
      throw error;
    }
  }

  /** The absolute, normalized path (`realpath`). */
  async normalize(p: string): Promise<string> {
    const target = this.#path(p);
    return this.#call<string>("normalize", target, (done) => this.#sftp.realpath(target, done));
  }

  /** Changes the client-side working folder (checked to be a folder); null resets it. */
  async chdir(p: string | null = null): Promise<void> {
    if (p === null) {
      this.#cwd = null;
      return;
    }
    const target = this.#path(p);
    const attrs = await this.stat(target);
    if (!attrs.isDirectory()) {
      const error = new SFTPError("chdir", SFTP_STATUS.FX_FAILURE, "not a directory", target);
      error.code = "ENOTDIR";
      throw error;
    }
    this.#cwd = await this.normalize(target);
  }

  /** The working folder set by `chdir`, or null. */
  getcwd(): string | null {
    return this.#cwd;
  }

  /**
   * Opens a remote file: `"r"`, `"w"`, `"a"`, `"r+"`, `"w+"`, `"a+"`, `"x"` (`b` is ignored). `"x"` on
   * an existing path fails with code `EEXIST`.
   */
  async open(p: string, mode = "r", _options: { bufsize?: number } = {}): Promise<SFTPFile> {
    const target = this.#path(p);
    const flags = mode.replace("b", "");
    const ssh2Flags = ({ r: "r", "r+": "r+", w: "w", "w+": "w+", a: "a", "a+": "a+", x: "wx", "x+": "wx+" } as Record<string, string>)[flags];
    if (!ssh2Flags) throw new TypeError(`SFTPClient.open: unknown mode ${JSON.stringify(mode)}`);
    let handle: Buffer;
    try {
      handle = await this.#call<Buffer>("open", target, (done) => this.#sftp.open(target, ssh2Flags as "r", done));
    } catch (error) {
      throw flags.startsWith("x") ? await this.#refineFailure(error, target) : error;
    }
    let position = 0;
    if (flags.startsWith("a")) {
      const stats = await this.#call<RemoteStats>("fstat", target, (done) => this.#sftp.fstat(handle, done));
      position = stats.size;
    }
    return new SFTPFile(this.#sftp, handle, target, mode, position);
  }

  /** Same as {@link open}. */
  async file(p: string, mode = "r"): Promise<SFTPFile> {
    return this.open(p, mode);
  }

  /**
   * Uploads a local file. It is written to a temporary name next to `remotepath` and renamed over it
   * once complete and (with `confirm`) its size checked. Resolves the remote attributes.
   */
  async put(localpath: string, remotepath: string, options: PutOptions = {}): Promise<SFTPAttributes> {
    const local = await openLocal(localpath, "r");
    try {
      const stats = await local.stat();
      return await this.#putFrom(fileChunks(local), remotepath, { ...options, fileSize: stats.size }, options.preserve ? stats : undefined);
    } finally {
      await local.close();
    }
  }

  /** Uploads a readable stream (temporary name and rename, as {@link put}). */
  async putfo(readable: Readable, remotepath: string, options: PutfoOptions = {}): Promise<SFTPAttributes> {
    return this.#putFrom(readableChunks(readable), remotepath, options, undefined);
  }

  async #putFrom(
    source: AsyncIterable<Buffer | string>,
    remotepath: string,
    options: PutfoOptions,
    preserve: Stats | undefined,
  ): Promise<SFTPAttributes> {
    const target = this.#path(remotepath);
    const temporary = temporaryName(target, posix);
    // Named by the path the caller gave: the temporary name would only puzzle them.
    const handle = await this.#call<Buffer>("open", target, (done) => this.#sftp.open(temporary, "w", done));
    let closed = false;
    try {
      const total = options.fileSize ?? 0;
      const sent = await upload(this.#sftp, handle, temporary, source, {
        total,
        callback: options.callback,
        maxConcurrentRequests: options.maxConcurrentRequests,
        signal: options.signal,
      });
      if (preserve) {
        await this.#call<void>("fsetstat", temporary, (done) =>
          this.#sftp.fsetstat(handle, { mode: preserve.mode & 0o7777, atime: preserve.atimeMs / 1000, mtime: preserve.mtimeMs / 1000 }, done),
        );
      }
      closed = true;
      await this.#call<void>("close", temporary, (done) => this.#sftp.close(handle, done));
      const attrs = await this.stat(temporary);
      if (options.confirm !== false && total > 0 && attrs.stSize !== total) {
        throw new SFTPError("put", SFTP_STATUS.FX_FAILURE, `size mismatch: sent ${total} bytes, the server has ${attrs.stSize}`, target);
      }
      if (options.confirm !== false && attrs.stSize !== sent) {
        throw new SFTPError("put", SFTP_STATUS.FX_FAILURE, `size mismatch: sent ${sent} bytes, the server has ${attrs.stSize}`, target);
      }
      await this.#replace(temporary, target).catch(async (error: unknown) => {
        throw (await this.#directoryInTheWay(error, target, "put")) ?? error;
      });
      attrs.filename = posix.basename(target);
      return attrs;
    } catch (error) {
      if (!closed) await this.#call<void>("close", temporary, (done) => this.#sftp.close(handle, done)).catch(() => {});
      await this.remove(temporary).catch(() => {});
      throw error;
    }
  }

  /**
   * sftp-server's generic FAILURE for a file renamed over a folder names only the temporary file:
   * when the target is a folder, say so (code `EISDIR`) about the path the caller gave.
   */
  async #directoryInTheWay(error: unknown, target: string, syscall: string): Promise<SFTPError | undefined> {
    if (!(error instanceof SFTPError) || error.sftpCode !== SFTP_STATUS.FX_FAILURE) return undefined;
    const attrs = await this.stat(target).catch(() => undefined);
    return attrs?.isDirectory() ? isADirectory(syscall, target, error) : undefined;
  }

  async #replace(from: string, to: string): Promise<void> {
    try {
      await this.posixRename(from, to);
    } catch (error) {
      if (!(error instanceof SFTPError) || error.sftpCode !== SFTP_STATUS.FX_OP_UNSUPPORTED) throw error;
      await this.remove(to).catch(() => {});
      await this.rename(from, to);
    }
  }

  /**
   * Downloads a remote file to a temporary local name next to `localpath`, renamed over it once
   * complete. Resolves the byte count.
   */
  async get(remotepath: string, localpath: string, options: GetOptions = {}): Promise<number> {
    const source = this.#path(remotepath);
    const temporary = temporaryName(localpath, path);
    // Found after the transfer, by the rename, the error would name the temporary file.
    if ((await statLocal(localpath).catch(() => undefined))?.isDirectory()) {
      throw Object.assign(new Error(`Cannot write ${localpath}: it is a directory (get takes the file's own path)`), { code: "EISDIR", path: localpath, syscall: "get" });
    }
    const handle = await this.#call<Buffer>("open", source, (done) => this.#sftp.open(source, "r", done));
    let local: Awaited<ReturnType<typeof openLocal>> | undefined;
    try {
      const stats = await this.#call<RemoteStats>("fstat", source, (done) => this.#sftp.fstat(handle, done));
      if (SFTPAttributes.fromAttrs(stats).isDirectory()) throw isADirectory("get", source);
      local = await openLocal(temporary, "w").catch((error: Error) => {
        error.message = `Cannot write ${localpath}: ${error.message}`;
        throw error;
      });
      const file = local;
      const count = await download(this.#sftp, handle, source, async (data, at) => void (await file.write(data, 0, data.length, at)), {
        size: stats.size,
        callback: options.callback,
        maxConcurrentRequests: options.prefetch === false ? 1 : options.maxConcurrentPrefetchRequests,
        signal: options.signal,
      });
      await local.close();
      local = undefined;
      if (options.preserve) {
        await chmodLocal(temporary, stats.mode & 0o7777);
        await utimes(temporary, stats.atime, stats.mtime);
      }
      await renameLocal(temporary, localpath);
      return count;
    } catch (error) {
      await local?.close().catch(() => {});
      await rm(temporary, { force: true });
      throw error;
    } finally {
      await this.#call<void>("close", source, (done) => this.#sftp.close(handle, done)).catch(() => {});
    }
  }

  /** Downloads a remote file into a writable stream, in order. Resolves the byte count. */
  async getfo(remotepath: string, writable: Writable, options: Omit<GetOptions, "preserve"> = {}): Promise<number> {
    const source = this.#path(remotepath);
    const handle = await this.#call<Buffer>("open", source, (done) => this.#sftp.open(source, "r", done));
    try {
      const stats = await this.#call<RemoteStats>("fstat", source, (done) => this.#sftp.fstat(handle, done));
      if (SFTPAttributes.fromAttrs(stats).isDirectory()) throw isADirectory("getfo", source);
      return await download(this.#sftp, handle, source, writableSink(writable), {
        size: stats.size,
        ordered: true,
        callback: options.callback,
        maxConcurrentRequests: options.prefetch === false ? 1 : options.maxConcurrentPrefetchRequests,
        signal: options.signal,
      });
    } finally {
      await this.#call<void>("close", source, (done) => this.#sftp.close(handle, done)).catch(() => {});
    }
  }

  /** Uploads a local folder tree (folders created as needed). */
  async putDir(localdir: string, remotedir: string, options: Omit<PutOptions, "callback"> = {}): Promise<void> {
    await this.mkdir(remotedir).catch((error: unknown) => {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    });
    for (const entry of await readdirLocal(localdir, { withFileTypes: true })) {
      const local = path.join(localdir, entry.name);
      const remote = posix.join(remotedir, entry.name);
      if (entry.isDirectory()) await this.putDir(local, remote, options);
      else if (entry.isFile()) await this.put(local, remote, options);
    }
  }

  /** Downloads a remote folder tree. */
  async getDir(remotedir: string, localdir: string, options: Omit<GetOptions, "callback"> = {}): Promise<void> {
    await mkdirLocal(localdir, { recursive: true });
    for (const entry of await this.listdirAttr(remotedir)) {
      const remote = posix.join(remotedir, entry.filename);
      const local = path.join(localdir, entry.filename);
      if (entry.isDirectory()) await this.getDir(remote, local, options);
      else if (entry.isFile()) await this.get(remote, local, options);
    }
  }

  /** Closes the SFTP session (the connection stays open). Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sftp.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** OpenSSH answers FAILURE for "already exists": tell it apart with a stat, as `fs` would say EEXIST. */
  async #refineFailure(error: unknown, target: string): Promise<unknown> {
    if (!(error instanceof SFTPError) || error.sftpCode !== SFTP_STATUS.FX_FAILURE) return error;
    try {
      await this.lstat(target);
      error.code = "EEXIST";
    } catch (statError) {
      if (!(statError instanceof NoSuchFile)) return error;
    }
    return error;
  }
}

/** A file operation met a folder (`EISDIR`, as `node:fs` says it). */
function isADirectory(syscall: string, target: string, cause?: unknown): SFTPError {
  const error = new SFTPError(syscall, SFTP_STATUS.FX_FAILURE, "is a directory", target, cause === undefined ? undefined : { cause });
  error.code = "EISDIR";
  return error;
}

/** The receive window of an SFTP session: large, so pipelined reads are never throttled by it. */
const DEFAULT_WINDOW = 16 * 1024 * 1024;

/** `.name.shoal-<random>.part` beside the target: hidden, and on the same filesystem for the rename. */
function temporaryName(target: string, paths: typeof path.posix): string {
  return paths.join(paths.dirname(target), `.${paths.basename(target)}.shoal-${randomBytes(6).toString("hex")}.part`);
}

function checkInteger(value: unknown, where: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new TypeError(`${where} must be a whole number, zero or more: got ${describe(value)}`);
}
