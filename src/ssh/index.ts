/**
 * shoal/ssh: paramiko's SSHClient, Transport and SFTPClient on the ssh2 package, safe by default
 * (RejectPolicy, changed host keys always refused) and pipelined for speed.
 */
export { SSHClient } from "./client.js";
export type { ConnectOptions, ExecOptions, ExecResult, RunOptions, RunResult } from "./client.js";
export { Transport } from "./transport.js";
export type { InteractiveHandler } from "./terminal-prompts.js";
export type { DisabledAlgorithms, PortForwardHandler, TransportOptions, TransportTarget } from "./transport.js";
export type { ChannelLimits } from "./channel-window.js";
export { Channel } from "./channel.js";
export type { ExitInfo, PtyOptions } from "./channel.js";
export { ChannelFile, ChannelStdinFile } from "./channel-file.js";
export { SFTPClient } from "./sftp-client.js";
export type { GetOptions, PutOptions, PutfoOptions } from "./sftp-client.js";
export { SFTPFile } from "./sftp-file.js";
export { SFTPAttributes } from "./sftp-attributes.js";
export type { TransferCallback } from "./sftp-transfer.js";
export { ConnectionLost, NoSuchFile, OpUnsupported, PermissionDenied, SFTPError, SFTP_STATUS } from "./sftp-error.js";
export { HostKeys, hostKeyName } from "./host-keys.js";
export type { HostKeyEntry } from "./host-keys.js";
export { AcceptNewPolicy, AutoAddPolicy, RejectPolicy, WarningPolicy } from "./policies.js";
export type { HostKeyStore, MissingHostKeyPolicy } from "./policies.js";
export { SSHConfig, SSHConfigDict } from "./config.js";
export type { LookupOptions } from "./config.js";
export type { ProxyCommandOptions } from "./proxy-command.js";
export { Agent, AgentKey } from "./agent.js";
export { ECDSAKey, Ed25519Key, PKey, RSAKey } from "./pkey.js";
export type { KeyLoadOptions } from "./pkey.js";
export { ProxyCommand } from "./proxy-command.js";
export {
  AuthenticationError,
  AuthenticationException,
  BadAuthenticationType,
  BadHostKeyError,
  BadHostKeyException,
  ChannelException,
  CommandError,
  ConfigParseError,
  IncompatiblePeer,
  NoValidConnectionsError,
  PartialAuthentication,
  PasswordRequiredException,
  ProxyCommandFailure,
  SSHException,
  SSHTimeoutError,
} from "./errors.js";
export type { TimeoutPhase } from "./errors.js";
