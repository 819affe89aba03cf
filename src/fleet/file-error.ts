/**
 * A transfer that reached its host but could not be done there: a missing file, a denied
 * permission, a full disk. The host answered, so it ends `failed` (exit status 1), as a command
 * that exits non-zero does, not `unreachable`.
 */
import { FleetError } from "./fleet-error.js";

/** SFTP status codes whose text is worth grouping hosts by (draft-ietf-secsh-filexfer-02, section 7). */
const SFTP_STATUS: Readonly<Record<number, string>> = { 2: "no such file or folder", 3: "permission denied", 8: "not supported by the server" };

/** The local file system's errors that a user can act on, in the same words. */
const LOCAL_STATUS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EEXIST: "a file is in the way",
  ENOTDIR: "a file is in the way",
  EISDIR: "a folder is in the way",
  ENAMETOOLONG: "the name is too long",
};

export class FileError extends FleetError {
  override name = "FileError";
  constructor(message: string, reason?: string) {
    super("channel", message, "transfer", reason);
  }

  /**
   * `action` ("cannot write /srv/app.tar") with what the server or the local file system said.
   * The summary groups hosts by the action and the status alone: the server's own text may name
   * the temporary file, which differs on every host. `why` replaces a status that says nothing
   * (SFTP's "Failure" for a full disk). A FleetError (a lost connection, a timeout) is returned as
   * it is.
   */
  static of(action: string, err: unknown, why?: string): FleetError {
    if (err instanceof FleetError) return err;
    const { code, message } = err as { code?: unknown; message?: unknown };
    const said = typeof message === "string" && message !== "" ? message : String(err);
    const status = why ?? (typeof code === "number" ? SFTP_STATUS[code] : typeof code === "string" ? (LOCAL_STATUS[code] ?? code) : undefined);
    return new FileError(why ? `${action}: ${why} (${said})` : `${action}: ${said}`, status ? `${action}: ${status}` : undefined);
  }
}

/**
 * An error of the local file system said as a host's would be (`Cannot put ./conf: permission
 * denied`), keeping its `code` and `path`: for what fails on this side before any host is involved.
 */
export function localFileError(action: string, err: NodeJS.ErrnoException): Error {
  const words = (err.code !== undefined ? LOCAL_STATUS[err.code] : undefined) ?? err.message;
  return Object.assign(new Error(`${action}: ${words}`, { cause: err }), { code: err.code, path: err.path });
}
