/**
 * The SFTP subsystem of a testbed host: ssh2's server-side SFTP protocol answered with the
 * local file system, confined to the host's directory.
 *
 * Paths are the real absolute paths of the host directory (so what `put` wrote is where a
 * command run on the host finds it); relative paths start at the host directory, and anything
 * outside it is refused with "Permission denied". `rename` replaces an existing target (POSIX
 * semantics, as OpenSSH's posix-rename@openssh.com), which atomic uploads rely on.
 */
import type { Stats } from "node:fs";
import { lstat, mkdir, open, opendir, readlink, realpath, rename, rm, rmdir, stat, symlink, chmod, truncate, utimes, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, normalize, resolve, sep } from "node:path";
import ssh2 from "ssh2";
import type { Attributes, FileEntry, SFTPWrapper } from "ssh2";

const { STATUS_CODE, flagsToString } = ssh2.utils.sftp;

type OpenEntry = { kind: "file"; handle: FileHandle; path: string } | { kind: "dir"; path: string; sent: boolean };

/** Serves one SFTP session on `sftp`, inside `root` (an absolute, real directory path). */
export function serveSftp(sftp: SFTPWrapper, root: string): void {
  const handles = new Map<number, OpenEntry>();
  let nextHandle = 1;

  const inside = (path: string): string => {
    const full = path === "" ? root : isAbsolute(path) ? normalize(path) : resolve(root, path);
    if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) {
      throw Object.assign(new Error(`Permission denied: ${path} is outside the host directory`), { code: "EACCES" });
    }
    return full;
  };
  const newHandle = (entry: OpenEntry): Buffer => {
    const id = nextHandle++;
    handles.set(id, entry);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  const entryOf = (handle: Buffer): OpenEntry | undefined => (handle.length === 4 ? handles.get(handle.readUInt32BE()) : undefined);

  /** Runs one request; a thrown error becomes the SFTP status that matches its code. */
  const answer = (reqId: number, work: () => Promise<void>): void => {
    work().catch((error: unknown) => {
      sftp.status(reqId, statusOf(error), error instanceof Error ? error.message : String(error));
    });
  };
  const ok = (reqId: number) => sftp.status(reqId, STATUS_CODE.OK);

  sftp.on("OPEN", (reqId, filename, flags, attrs) =>
    answer(reqId, async () => {
      const mode = flagsToString(flags);
      if (mode === null) return sftp.status(reqId, STATUS_CODE.BAD_MESSAGE, "Unsupported open flags");
      const path = inside(filename);
      const handle = await open(path, mode, attrs.mode ?? 0o644);
      sftp.handle(reqId, newHandle({ kind: "file", handle, path }));
    }),
  );

  sftp.on("READ", (reqId, handle, offset, length) =>
    answer(reqId, async () => {
      const entry = entryOf(handle);
      if (entry?.kind !== "file") return sftp.status(reqId, STATUS_CODE.FAILURE, "Invalid handle");
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await entry.handle.read(buffer, 0, length, offset);
      if (bytesRead === 0) sftp.status(reqId, STATUS_CODE.EOF);
      else sftp.data(reqId, buffer.subarray(0, bytesRead));
    }),
  );

  sftp.on("WRITE", (reqId, handle, offset, data) =>
    answer(reqId, async () => {
      const entry = entryOf(handle);
      if (entry?.kind !== "file") return sftp.status(reqId, STATUS_CODE.FAILURE, "Invalid handle");
      await entry.handle.write(data, 0, data.length, offset);
      ok(reqId);
    }),
  );

  sftp.on("CLOSE", (reqId, handle) =>
    answer(reqId, async () => {
      const entry = entryOf(handle);
      if (entry === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, "Invalid handle");
      handles.delete(handle.readUInt32BE());
      if (entry.kind === "file") await entry.handle.close();
      ok(reqId);
    }),
  );

  sftp.on("FSTAT", (reqId, handle) =>
    answer(reqId, async () => {
      const entry = entryOf(handle);
      if (entry === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, "Invalid handle");
      sftp.attrs(reqId, attributesOf(entry.kind === "file" ? await entry.handle.stat() : await stat(entry.path)));
    }),
  );

  sftp.on("FSETSTAT", (reqId, handle, attrs) =>
    answer(reqId, async () => {
      const entry = entryOf(handle);
      if (entry === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, "Invalid handle");
      await applyAttributes(entry.path, attrs);
      ok(reqId);
    }),
  );

  sftp.on("STAT", (reqId, path) => answer(reqId, async () => sftp.attrs(reqId, attributesOf(await stat(inside(path))))));
  sftp.on("LSTAT", (reqId, path) => answer(reqId, async () => sftp.attrs(reqId, attributesOf(await lstat(inside(path))))));
  sftp.on("SETSTAT", (reqId, path, attrs) =>
    answer(reqId, async () => {
      await applyAttributes(inside(path), attrs);
      ok(reqId);
    }),
  );

  sftp.on("OPENDIR", (reqId, path) =>
    answer(reqId, async () => {
      const full = inside(path);
      if (!(await stat(full)).isDirectory()) throw Object.assign(new Error(`Not a directory: ${path}`), { code: "ENOTDIR" });
      sftp.handle(reqId, newHandle({ kind: "dir", path: full, sent: false }));
    }),
  );

  sftp.on("READDIR", (reqId, handle) =>
    answer(reqId, async () => {
      const entry = entryOf(handle);
      if (entry?.kind !== "dir") return sftp.status(reqId, STATUS_CODE.FAILURE, "Invalid handle");
      if (entry.sent) return sftp.status(reqId, STATUS_CODE.EOF);
      entry.sent = true;
      const names: FileEntry[] = [];
      for await (const dirent of await opendir(entry.path)) {
        const stats = await lstat(join(entry.path, dirent.name)).catch(() => undefined);
        if (stats === undefined) continue;
        names.push({ filename: dirent.name, longname: longnameOf(dirent.name, stats), attrs: attributesOf(stats) });
      }
      if (names.length === 0) sftp.status(reqId, STATUS_CODE.EOF);
      else sftp.name(reqId, names);
    }),
  );

  sftp.on("REMOVE", (reqId, path) =>
    answer(reqId, async () => {
      const full = inside(path);
      if ((await lstat(full)).isDirectory()) throw Object.assign(new Error(`Is a directory: ${path}`), { code: "EISDIR" });
      await rm(full);
      ok(reqId);
    }),
  );
  sftp.on("MKDIR", (reqId, path, attrs) =>
    answer(reqId, async () => {
      await mkdir(inside(path), { mode: attrs.mode ?? 0o755 });
      ok(reqId);
    }),
  );
  sftp.on("RMDIR", (reqId, path) =>
    answer(reqId, async () => {
      await rmdir(inside(path));
      ok(reqId);
    }),
  );
  sftp.on("RENAME", (reqId, from, to) =>
    answer(reqId, async () => {
      await rename(inside(from), inside(to));
      ok(reqId);
    }),
  );
  sftp.on("REALPATH", (reqId, path) =>
    answer(reqId, async () => {
      const full = inside(path);
      // Like OpenSSH, a path that does not exist (yet) is still canonicalized lexically.
      const real = await realpath(full).catch(() => full);
      const stats = await stat(real).catch(() => undefined);
      sftp.name(reqId, [{ filename: real, longname: stats ? longnameOf(real, stats) : real, attrs: stats ? attributesOf(stats) : {} as Attributes }]);
    }),
  );
  sftp.on("READLINK", (reqId, path) =>
    answer(reqId, async () => {
      const target = await readlink(inside(path));
      sftp.name(reqId, [{ filename: target, longname: target, attrs: {} as Attributes }]);
    }),
  );
  sftp.on("SYMLINK", (reqId, linkPath, targetPath) =>
    answer(reqId, async () => {
      await symlink(targetPath, inside(linkPath));
      ok(reqId);
    }),
  );
  sftp.on("EXTENDED", (reqId, name, data) =>
    answer(reqId, async () => {
      if (name === "posix-rename@openssh.com") {
        const [from, to] = readStrings(data, 2);
        await rename(inside(from!), inside(to!));
        return ok(reqId);
      }
      if (name === "fsync@openssh.com") {
        const entry = entryOf(readBytes(data)[0] ?? Buffer.alloc(0));
        if (entry?.kind === "file") await entry.handle.sync();
        return ok(reqId);
      }
      sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED, `Unsupported extension: ${name}`);
    }),
  );

  const closeAll = () => {
    for (const entry of handles.values()) if (entry.kind === "file") void entry.handle.close().catch(() => {});
    handles.clear();
  };
  sftp.on("close", closeAll);
  // The client's EOF ends the session: close the channel back, as sftp-server exiting does.
  sftp.on("end", () => {
    closeAll();
    sftp.end();
  });
}

function statusOf(error: unknown): number {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOENT":
    case "ENOTDIR":
      return STATUS_CODE.NO_SUCH_FILE;
    case "EACCES":
    case "EPERM":
      return STATUS_CODE.PERMISSION_DENIED;
    default:
      return STATUS_CODE.FAILURE;
  }
}

function attributesOf(stats: Stats): Attributes {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

async function applyAttributes(path: string, attrs: Partial<Attributes>): Promise<void> {
  if (attrs.size !== undefined) await truncate(path, attrs.size);
  if (attrs.mode !== undefined) await chmod(path, attrs.mode & 0o7777);
  if (attrs.atime !== undefined && attrs.mtime !== undefined) await utimes(path, attrs.atime, attrs.mtime);
}

/** An `ls -l` line, which OpenSSH's sftp prints for `ls -l`. */
function longnameOf(name: string, stats: Stats): string {
  const type = stats.isDirectory() ? "d" : stats.isSymbolicLink() ? "l" : "-";
  const bits = "rwxrwxrwx".split("").map((ch, i) => (stats.mode & (1 << (8 - i)) ? ch : "-")).join("");
  const date = stats.mtime.toISOString().slice(0, 16).replace("T", " ");
  return `${type}${bits} 1 ${stats.uid} ${stats.gid} ${String(stats.size).padStart(8)} ${date} ${name}`;
}

function readBytes(data: Buffer | undefined): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (data !== undefined && at + 4 <= data.length) {
    const length = data.readUInt32BE(at);
    out.push(data.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

function readStrings(data: Buffer | undefined, count: number): string[] {
  const strings = readBytes(data).map((b) => b.toString("utf8"));
  if (strings.length < count) throw new Error("Malformed extended request");
  return strings;
}
