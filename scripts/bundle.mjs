#!/usr/bin/env node
// Part of `npm run build`: bundles the `shoal` command (dist/src/cli/main.js, compiled by tsc) and
// the packages it uses into dist/shoal.mjs, with what only `testbed`, `demo` and `shell` need, and
// the fleet itself (with ssh2, which `hosts` and `groups` never load), in chunks of dist/chunks/
// that their actions import. Node then reads a few files instead of about
// 150 (shoal's modules, yaml's, commander's): the command starts in ~0.13 s instead of ~0.18 s.
// ssh2 stays a package: it finds its optional native addon by a path relative to its own files.
import { build } from "esbuild";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";

rmSync("dist/chunks", { recursive: true, force: true });
await build({
  entryPoints: { shoal: "dist/src/cli/main.js" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["ssh2", "cpu-features", "*.node"],
  // The CommonJS packages inside call require() and use __dirname, which an ES module lacks.
  banner: {
    js: [
      'import { createRequire as __shoalCreateRequire } from "node:module";',
      'import { fileURLToPath as __shoalFileURLToPath } from "node:url";',
      'import { dirname as __shoalDirname } from "node:path";',
      "const require = __shoalCreateRequire(import.meta.url);",
      "const __filename = __shoalFileURLToPath(import.meta.url);",
      "const __dirname = __shoalDirname(__filename);",
    ].join("\n"),
  },
  // package.json says "sideEffects": false for consumers tree-shaking the library; the command needs
  // its side-effect imports (such as the codec registrations of the modules it loads).
  ignoreAnnotations: true,
  logLevel: "warning",
});
// The bin is a shell script and an ES module at once: sh runs the second line, which JavaScript reads
// as a string and a comment. It starts Node without NODE_EXTRA_CA_CERTS, which Node 20 parses as it
// boots (30–50 ms, most of a bare start) and the command never uses (it makes no TLS connection);
// src/cli/launcher-env.ts gives it back to the programs the command starts.
const LAUNCHER = [
  "#!/bin/sh",
  `":" //; if [ -n "\${NODE_EXTRA_CA_CERTS-}" ]; then SHOAL_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export SHOAL_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"`,
].join("\n");
writeFileSync("dist/shoal.mjs", `${LAUNCHER}\n${readFileSync("dist/shoal.mjs", "utf8")}`);
chmodSync("dist/shoal.mjs", 0o755);
