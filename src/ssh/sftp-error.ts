/**
 * SFTP status codes as typed errors carrying the path, with a Node-style `code` so that
 * `err.code === "ENOENT"` works as it does with `node:fs`.
 */
import { SSHException } from "./errors.js";

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02). */
export const SFTP_STATUS = {
  FX_OK: 0,
  FX_EOF: 1,
  FX_NO_SUCH_FILE: 2,
  FX_PERMISSION_DENIED: 3,
  FX_FAILURE: 4,
  FX_BAD_MESSAGE: 5,
  FX_NO_CONNECTION: 6,
  FX_CONNECTION_LOST: 7,
  FX_OP_UNSUPPORTED: 8,
} as const;

const NODE_CODES: Record<number, string> = {
  1: "EOF",
  2: "ENOENT",
  3: "EACCES",
  4: "EIO",
  5: "EPROTO",
  6: "ENOTCONN",
  7: "ECONNRESET",
  8: "ENOTSUP",
};

/** An SFTP request failed. `sftpCode` is the wire status, `code` its Node-style name. */
export class SFTPError extends SSHException {
  override name = "SFTPError";
  readonly sftpCode: number;
  code: string;
  /** The remote path concerned, when there is one. */
  readonly path: string | undefined;
  /** The call that failed (`"stat"`, `"open"`…). */
  readonly syscall: string;

  constructor(syscall: string, sftpCode: number, detail: string, path?: string, options?: ErrorOptions) {
    super(`${syscall} ${path !== undefined ? `'${path}'` : ""}: ${detail || "SFTP failure"}`.replace("  ", " "), options);
    this.syscall = syscall;
    this.sftpCode = sftpCode;
    this.code = NODE_CODES[sftpCode] ?? "EIO";
    this.path = path;
  }
}

/** The path does not exist (`ENOENT`; paramiko raises `FileNotFoundError`). */
export class NoSuchFile extends SFTPError {
  override name = "NoSuchFile";
}

/** The server refused access (`EACCES`; paramiko raises `PermissionError`). */
export class PermissionDenied extends SFTPError {
  override name = "PermissionDenied";
}

/** The server does not implement the operation (`ENOTSUP`). */
export class OpUnsupported extends SFTPError {
  override name = "OpUnsupported";
}

/** The SFTP session or its connection went away (`ECONNRESET`). */
export class ConnectionLost extends SFTPError {
  override name = "ConnectionLost";
}

/** Turns an ssh2 SFTP error (which carries the status in `code`) into the typed error. */
export function toSftpError(error: unknown, syscall: string, path?: string): Error {
  if (error instanceof SFTPError) return error;
  const raw = error as { code?: unknown; message?: string } | undefined;
  const sftpCode = typeof raw?.code === "number" ? raw.code : undefined;
  const detail = raw?.message ?? String(error);
  const options = { cause: error };
  switch (sftpCode) {
    case SFTP_STATUS.FX_NO_SUCH_FILE:
      return new NoSuchFile(syscall, sftpCode, detail, path, options);
    case SFTP_STATUS.FX_PERMISSION_DENIED:
      return new PermissionDenied(syscall, sftpCode, detail, path, options);
    case SFTP_STATUS.FX_OP_UNSUPPORTED:
      return new OpUnsupported(syscall, sftpCode, detail, path, options);
    case SFTP_STATUS.FX_NO_CONNECTION:
    case SFTP_STATUS.FX_CONNECTION_LOST:
      return new ConnectionLost(syscall, sftpCode, detail, path, options);
    case undefined:
      // ssh2 reports a vanished channel as a plain Error ("No response from server").
      return new ConnectionLost(syscall, SFTP_STATUS.FX_CONNECTION_LOST, detail, path, options);
    default:
      return new SFTPError(syscall, sftpCode, detail, path, options);
  }
}
