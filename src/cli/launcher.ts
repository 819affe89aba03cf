/**
 * What the `shoal` bin runs (dist/shoal.mjs, behind the sh line of scripts/bundle.mjs): the command,
 * bundled as one CommonJS script (dist/shoal-cli.cjs), compiled through the compile cache.
 *
 * A script rather than ES modules because Node 20 can keep compiled code only for scripts
 * (`vm.Script`'s cachedData); its lazily imported parts (the fleet with ssh2, the testbed, the shell)
 * still run only when their commands need them.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { CompileCache, compileCacheDir } from "./compile-cache.js";

const bundle = fileURLToPath(new URL("./shoal-cli.cjs", import.meta.url));
// Each command compiles different code (hosts never loads ssh2): one cache each.
const command = /^[a-z][a-z-]*$/.test(process.argv[2] ?? "") ? process.argv[2]! : "other";
const cache = CompileCache.open(compileCacheDir(), command);
cache?.install();
cache?.cacheRequiredPackages();

const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(bundle, "utf8")}\n})`;
// No import() in it (scripts/bundle.mjs checks): Node 20 runs one in a vm.Script only under a flag.
const script = cache ? cache.compile(source, bundle) : new vm.Script(source, { filename: bundle });
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
