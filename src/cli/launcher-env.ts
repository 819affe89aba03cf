/**
 * What the bin's shell line (scripts/bundle.mjs) hid from Node, given back.
 *
 * Node 20 reads the file named by `NODE_EXTRA_CA_CERTS` as it boots, before any code runs: 30–50 ms
 * of a command that otherwise starts in about 60. The command makes no TLS connection, so the bin
 * starts Node without it and passes it on as `SHOAL_NODE_EXTRA_CA_CERTS`; this puts it back, so
 * that the programs the command starts (a ProxyCommand, a `Match exec`) see the environment the
 * user gave.
 */
export const HIDDEN_CA_CERTS = "SHOAL_NODE_EXTRA_CA_CERTS";

export function restoreLauncherEnv(env: NodeJS.ProcessEnv = process.env): void {
  const hidden = env[HIDDEN_CA_CERTS];
  if (hidden === undefined) return;
  env.NODE_EXTRA_CA_CERTS = hidden;
  delete env[HIDDEN_CA_CERTS];
}
