#!/usr/bin/env node
// Part of `npm run build`: bundles the `shoal` command (dist/src/cli/main.js, compiled by tsc) and
// the packages it uses into dist/shoal.mjs, with what only `testbed`, `demo` and `shell` need, and
// the fleet itself (with ssh2, which `hosts` and `groups` never load), in chunks of dist/chunks/
// that their actions import. Node then reads a few files instead of about
// 150 (shoal's modules, yaml's, commander's): the command starts in ~0.13 s instead of ~0.18 s.
// ssh2 stays a package: it finds its optional native addon by a path relative to its own files.
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";

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
chmodSync("dist/shoal.mjs", 0o755);
