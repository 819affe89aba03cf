/**
 * shoal/testbed: an embedded SSH fleet on loopback (ssh2's Server), with fault injection,
 * for demos, tests, and trying scripts without owning a fleet.
 */
export { startTestbed, Testbed, type TestbedOptions, type RandomFaults } from "./testbed.js";
export type { TestbedHost } from "./testbed-host.js";
export { FAULT_KINDS, describeFaults, type FaultKind, type HostFaults } from "./faults.js";
export { fingerprint, knownHostsLine } from "./keys.js";
