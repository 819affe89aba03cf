/**
 * paramiko's `SFTPAttributes`: a file's size, ids, mode and times, with `ls -l` formatting.
 */
import type { Stats } from "node:fs";
import type { Attributes } from "ssh2";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

export class SFTPAttributes {
  stSize: number | undefined;
  stUid: number | undefined;
  stGid: number | undefined;
  stMode: number | undefined;
  /** Seconds since the epoch, as on the wire. */
  stAtime: number | undefined;
  stMtime: number | undefined;
  /** The entry name (listings only). */
  filename = "";
  /** The server's `ls -l` line (listings only). */
  longname = "";

  /** From ssh2's attributes. */
  static fromAttrs(attrs: Partial<Attributes>, filename = "", longname = ""): SFTPAttributes {
    const result = new SFTPAttributes();
    result.stSize = attrs.size;
    result.stUid = attrs.uid;
    result.stGid = attrs.gid;
    result.stMode = attrs.mode;
    result.stAtime = attrs.atime;
    result.stMtime = attrs.mtime;
    result.filename = filename;
    result.longname = longname;
    return result;
  }

  /** From a local `fs.Stats` (paramiko's `from_stat`). */
  static fromStats(stats: Stats, filename = ""): SFTPAttributes {
    return SFTPAttributes.fromAttrs(
      {
        size: stats.size,
        uid: stats.uid,
        gid: stats.gid,
        mode: stats.mode,
        atime: Math.floor(stats.atimeMs / 1000),
        mtime: Math.floor(stats.mtimeMs / 1000),
      },
      filename,
    );
  }

  isDirectory(): boolean {
    return ((this.stMode ?? 0) & S_IFMT) === S_IFDIR;
  }

  isFile(): boolean {
    return ((this.stMode ?? 0) & S_IFMT) === S_IFREG;
  }

  isSymbolicLink(): boolean {
    return ((this.stMode ?? 0) & S_IFMT) === S_IFLNK;
  }

  /** `-rw-r--r--   1 1000     1000         1234 Jan 01 12:00 name`, as paramiko formats it. */
  toString(): string {
    const mode = this.stMode ?? 0;
    const type = this.isDirectory() ? "d" : this.isSymbolicLink() ? "l" : (mode & S_IFMT) === S_IFREG || mode === 0 ? "-" : "?";
    const bits = [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1].map((bit, i) => (mode & bit ? "rwx"[i % 3] : "-")).join("");
    const date = new Date((this.stMtime ?? 0) * 1000);
    const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
    const sixMonths = 180 * 24 * 3600 * 1000;
    const when =
      Math.abs(Date.now() - date.getTime()) > sixMonths
        ? `${month} ${String(date.getUTCDate()).padStart(2, "0")}  ${date.getUTCFullYear()}`
        : `${month} ${String(date.getUTCDate()).padStart(2, "0")} ${String(date.getUTCHours()).padStart(2, "0")}:${String(date.getUTCMinutes()).padStart(2, "0")}`;
    const uid = String(this.stUid ?? 0).padEnd(8);
    const gid = String(this.stGid ?? 0).padEnd(8);
    return `${type}${bits}   1 ${uid} ${gid} ${String(this.stSize ?? 0).padStart(8)} ${when} ${this.filename}`;
  }
}
