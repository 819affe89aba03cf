#!/usr/bin/env node
// Part of `npm run build`: bundles the `shoal` command into two files.
// - dist/shoal-cli.cjs: the command (dist/src/cli/bin.js, compiled by tsc) and the packages it uses
//   (commander, yaml, cli-progress), as one CommonJS script: Node reads one file instead of about
//   150, and src/cli/launcher.ts compiles it through the compile cache (Node 20 keeps compiled code
//   only for scripts). What only some commands need (the fleet with ssh2, the testbed, the demo, the
//   shell) is imported lazily in the sources and stays lazy here: it runs when its command needs it.
//   ssh2 stays a package: it finds its optional native addon by a path relative to its own files.
// - dist/shoal.mjs: the bin, launcher.ts behind a line of sh (see LAUNCHER).
import { build } from "esbuild";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";

rmSync("dist/chunks", { recursive: true, force: true });
const common = { bundle: true, platform: "node", target: "node20", ignoreAnnotations: true, logLevel: "warning" };
await build({
  ...common,
  entryPoints: ["dist/src/cli/bin.js"],
  outfile: "dist/shoal-cli.cjs",
  format: "cjs",
  external: ["ssh2", "cpu-features", "*.node"],
  // A script has no import.meta: its modules' URL is the bundle's, as it was each chunk's.
  define: { "import.meta.url": "__shoalBundleUrl" },
  banner: { js: 'var __shoalBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // package.json says "sideEffects": false for consumers tree-shaking the library; the command needs
  // its side-effect imports (such as the codec registrations of the modules it loads).
});
// The launcher reads the bundle as Latin-1, into a string of one byte per character, half the
// memory of the two-byte string one character past U+00FF would make of it all. esbuild leaves some
// comments as they are: a \uXXXX escape means the same in a string, a regular expression or a comment.
writeFileSync("dist/shoal-cli.cjs", readFileSync("dist/shoal-cli.cjs", "utf8").replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
// esbuild turns import() of bundled modules into require(); one left (a node: builtin, a computed
// specifier) would throw in the launcher's vm.Script, where Node 20 allows it only under a flag.
const leftImport = /(?<![\w$.])import\(/.exec(readFileSync("dist/shoal-cli.cjs", "utf8"));
if (leftImport) throw new Error(`dist/shoal-cli.cjs keeps an import() at offset ${leftImport.index}: import the module statically, or bundle it`);
await build({ ...common, entryPoints: ["dist/src/cli/launcher.js"], outfile: "dist/shoal.mjs", format: "esm" });
// The bin is a shell script and an ES module at once: sh runs the second line, which JavaScript reads
// as a string and a comment. It starts Node without NODE_EXTRA_CA_CERTS, which Node 20 parses as it
// boots (30–50 ms, most of a bare start) and the command never uses (it makes no TLS connection),
// and with one glibc malloc arena unless the user chose a number: the command allocates from one
// thread, and the arenas of Node's other threads cost 2–4 MiB of peak RSS at 500 hosts, varying
// from run to run. src/cli/launcher-env.ts gives the programs the command starts the environment
// the user gave.
const LAUNCHER = [
  "#!/bin/sh",
  `":" //; if [ -n "\${NODE_EXTRA_CA_CERTS-}" ]; then SHOAL_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export SHOAL_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; if [ -z "\${MALLOC_ARENA_MAX+set}" ]; then MALLOC_ARENA_MAX=1; SHOAL_SET_MALLOC_ARENA_MAX=1; export MALLOC_ARENA_MAX SHOAL_SET_MALLOC_ARENA_MAX; fi; exec node "$0" "$@"`,
].join("\n");
writeFileSync("dist/shoal.mjs", `${LAUNCHER}\n${readFileSync("dist/shoal.mjs", "utf8")}`);
chmodSync("dist/shoal.mjs", 0o755);
