/**
 * shoal/fleet: run commands and copy files on a whole fleet, live.
 *
 * ```ts
 * import { Inventory, Fleet } from "shoal/fleet";
 * const inventory = await Inventory.load("shoal.yml");
 * await using fleet = new Fleet(inventory.select("@web,!web03"), { forks: 64 });
 * const results = await fleet.run("uptime").results();
 * ```
 */
export { Inventory, defaultInventoryPaths, type Group } from "./inventory.js";
export { InventoryError, PatternError } from "./inventory-error.js";
export { adHocHost, type Host, type HostVars } from "./host.js";
export { selectHosts, globToRegExp, type SelectOptions } from "./pattern.js";
export { expandHostRange, foldHosts, describeHosts, splitTopLevel, hasRange, HostRangeError } from "./host-range.js";
export { parseDuration, formatDuration } from "./duration.js";
export { Fleet, FleetRun, DEFAULT_FORKS, stateOf, type FleetOptions, type RunOptions, type PingOptions, type SubsetOptions } from "./fleet.js";
export { FleetError, HostConnection, connect, type ConnectSpec, type ConnectContext, type ExecOptions, type ExecResult } from "./connection.js";
export { EarlyConnections, type EarlyConnection, type EarlyConnectionsOptions } from "./early-connections.js";
export { FileError } from "./file-error.js";
export { FINAL_STATES, type FinalState, type ErrorKind, type FleetEvent, type HostResult } from "./events.js";
export type { QueuedEvent, ConnectingEvent, ConnectedEvent, OutputEvent, ExitEvent, ErrorEvent, ProgressEvent, PingEvent, DoneEvent } from "./events.js";
export { HandshakeGate, DEFAULT_HANDSHAKES_PER_SERVER, PROBE_HANDSHAKES_PER_SERVER } from "./handshake-gate.js";
export { KnownHosts, fingerprintOf, knownHostsName, defaultKnownHostsPath, type HostKeyNote, type HostKeyVerdict } from "./known-hosts.js";
export { Credentials, type CredentialOptions, type Prompt } from "./credentials.js";
export { OutputStore, HostOutput } from "./output-store.js";
export { summarize, exitStatusOf, formatSummary, type Summary } from "./summary.js";
export { setsOf, saveSets, loadSets, loadSavedSets, savedHostsOf, stateDir } from "./last-sets.js";
export type { SavedHost, SavedSets } from "./last-sets.js";
export { Gatherer, type GatheredGroup } from "./gather.js";
export { openFileLimit, planForks, type ForkPlan } from "./limits.js";
export type { TransferOptions } from "./transfer.js";
export { SftpSession } from "./sftp-session.js";
