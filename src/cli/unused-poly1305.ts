/**
 * Keeps ssh2 from instantiating its WebAssembly Poly1305 when its native binding will do the work.
 *
 * ssh2 instantiates that module (16 MiB of wasm memory, 3.4 MiB of resident memory) as it loads. It
 * is for chacha20-poly1305 when ssh2's binding is missing, and unused otherwise: the binding's
 * ciphers compute Poly1305 themselves. ssh2 requires the binding just before it asks for the wasm
 * module. So the module is replaced, before ssh2 loads, by a stand-in that checks whether the binding
 * loaded. If it did, the stand-in gives ssh2 a module that is never called. If not, it loads the real
 * one. The command's memory at 500 hosts is bounded (docs/fleet.md).
 */
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";

const WASM_MODULE = "ssh2/lib/protocol/crypto/poly1305.js";

/** What ssh2 takes from the wasm module at load: a malloc and a wrapped function it calls only without the binding. */
const NEVER_CALLED = {
  _malloc: (): number => 0,
  cwrap: () => (): never => {
    throw new Error("ssh2's WebAssembly Poly1305 was called although its native binding is loaded");
  },
};

/**
 * Puts the stand-in in Node's module cache, where ssh2's require finds it. `require` resolves
 * ssh2 as the command's bundle does (a test gives its own). Nothing changes where ssh2 is not found.
 */
export function skipUnusedPoly1305(require: NodeJS.Require = createRequire(import.meta.url)): void {
  let file: string;
  try {
    file = require.resolve(WASM_MODULE);
  } catch {
    return;
  }
  const binding = join(dirname(file), "build", "Release", "sshcrypto.node");
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = (...args: unknown[]): unknown => {
    if (require.cache[binding]) return Promise.resolve(NEVER_CALLED);
    delete require.cache[file];
    return (require(file) as (...args: unknown[]) => unknown)(...args);
  };
  require.cache[file] = standIn;
}
