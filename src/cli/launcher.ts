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
import { CompileCache, commonJsWrapper, compileCacheDir } from "./compile-cache.js";
import { skipUnusedPoly1305 } from "./unused-poly1305.js";

const BUNDLE_BYTES = Symbol.for("shoal.bundleBytes");
const bundle = fileURLToPath(new URL("./shoal-cli.cjs", import.meta.url));
// Each command compiles different code (hosts never loads ssh2): one cache each, per install.
const command = /^[a-z][a-z-]*$/.test(process.argv[2] ?? "") ? process.argv[2]! : "other";
const cache = CompileCache.open(compileCacheDir(), command, dirname(bundle));
cache?.install();
cache?.cacheRequiredPackages();
skipUnusedPoly1305(createRequire(bundle));

// The file's bytes stay referenced for the life of the process (a binding nothing else uses would
// be collected). Freed, a block this large (~0.8 MB, taken with mmap) raises glibc's threshold for
// taking later blocks with mmap to its size, and the run's buffers then fragment the heap instead:
// 5–6 MiB more peak RSS at 500 hosts.
const bytes = readFileSync(bundle);
(globalThis as { [BUNDLE_BYTES]?: Buffer })[BUNDLE_BYTES] = bytes;
const source = commonJsWrapper(bytes.toString("latin1"));
// No import() in it (scripts/bundle.mjs checks): Node 20 runs one in a vm.Script only under a flag.
const script = cache ? cache.compile(source, bundle, bytes) : new vm.Script(source, { filename: bundle });
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
