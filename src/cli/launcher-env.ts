/**
 * What the bin's shell line (scripts/bundle.mjs) changed for Node, given back.
 *
 * Node 20 reads the file named by `NODE_EXTRA_CA_CERTS` as it boots, before any code runs: 30–50 ms
 * of a command that otherwise starts in about 60. The command makes no TLS connection, so the bin
 * starts Node without it and passes it on as `SHOAL_NODE_EXTRA_CA_CERTS`; this puts it back, so
 * that the programs the command starts (a ProxyCommand, a `Match exec`) see the environment the
 * user gave.
 *
 * It also gives Node one glibc malloc arena (`MALLOC_ARENA_MAX=1`) when the user set no number:
 * glibc reads it once, as the process starts, so it goes from the environment of the programs the
 * command starts.
 */
export const HIDDEN_CA_CERTS = "SHOAL_NODE_EXTRA_CA_CERTS";
export const SET_ARENA_MAX = "SHOAL_SET_MALLOC_ARENA_MAX";

export function restoreLauncherEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env[SET_ARENA_MAX] !== undefined) {
    delete env["MALLOC_ARENA_MAX"];
    delete env[SET_ARENA_MAX];
  }
  const hidden = env[HIDDEN_CA_CERTS];
  if (hidden === undefined) return;
  env.NODE_EXTRA_CA_CERTS = hidden;
  delete env[HIDDEN_CA_CERTS];
}
