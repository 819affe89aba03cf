/**
 * The command keeps ssh2 from instantiating its WebAssembly Poly1305 where ssh2's native binding
 * does chacha20-poly1305, and still loads it where the binding is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import Module, { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { skipUnusedPoly1305 } from "../../src/cli/unused-poly1305.js";
import { startSshd } from "../fixtures/sshd.js";
import { runProcess } from "../fixtures/run-process.js";

const BIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));

/** A folder with a package named ssh2 whose wasm module says it was loaded; its require. */
async function fakeSsh2(t: { after(fn: () => Promise<void>): void }): Promise<{ require: NodeJS.Require; wasm: string; binding: string }> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-poly1305-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const crypto = join(dir, "node_modules", "ssh2", "lib", "protocol", "crypto");
  await mkdir(crypto, { recursive: true });
  await writeFile(join(dir, "node_modules", "ssh2", "package.json"), '{ "name": "ssh2" }\n');
  const wasm = join(crypto, "poly1305.js");
  await writeFile(wasm, "module.exports = (arg) => Promise.resolve({ real: true, arg });\n");
  return { require: createRequire(join(dir, "main.js")), wasm, binding: join(crypto, "build", "Release", "sshcrypto.node") };
}

test("without ssh2's binding loaded, the real wasm module is loaded and called", async (t) => {
  const { require, wasm } = await fakeSsh2(t);
  skipUnusedPoly1305(require);
  const factory = require(wasm) as (arg: string) => Promise<unknown>;
  assert.deepEqual(await factory("x"), { real: true, arg: "x" });
});

test("with ssh2's binding loaded, ssh2 gets a module that is never called, and says so if it is", async (t) => {
  const { require, wasm, binding } = await fakeSsh2(t);
  skipUnusedPoly1305(require);
  require.cache[binding] = new Module(binding);
  t.after(() => delete require.cache[binding]);
  const mod = (await (require(wasm) as () => Promise<{ _malloc(n: number): number; cwrap(...args: unknown[]): () => void }>)()) as {
    _malloc(n: number): number;
    cwrap(...args: unknown[]): () => void;
  };
  assert.equal(mod._malloc(16), 0);
  assert.throws(() => mod.cwrap("poly1305_auth")(), /WebAssembly Poly1305 was called although its native binding is loaded/);
});

test("where ssh2 is not found, nothing changes", () => {
  const require = createRequire(join(tmpdir(), "nowhere", "main.js"));
  const before = Object.keys(require.cache).length;
  skipUnusedPoly1305(require);
  assert.equal(Object.keys(require.cache).length, before);
});

test("the bin runs over chacha20-poly1305, without the wasm module's memory where ssh2's binding is built", { timeout: 60_000 }, async (t) => {
  const sshd = await startSshd({ extraConfig: ["Ciphers chacha20-poly1305@openssh.com"] });
  const dir = await mkdtemp(join(tmpdir(), "shoal-poly1305-bin-"));
  t.after(async () => {
    await sshd.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeys[0]}\n`);
  // Node's external memory counts wasm memory (16 MiB for this module) and ArrayBuffers.
  const preload = join(dir, "external.cjs");
  await writeFile(preload, `process.on("exit", () => require("fs").writeSync(2, "external " + process.memoryUsage().external + "\\n"));\n`);
  const inventory = join(dir, "shoal.yml");
  await writeFile(inventory, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath}, known_hosts: ${knownHosts} }\nhosts: [127.0.0.1]\n`);
  const r = await runProcess(BIN, ["run", "all", "-i", inventory, "--", "echo over-chacha"], {
    env: { ...process.env, NO_COLOR: "1", SHOAL_STATE_DIR: join(dir, "state"), NODE_OPTIONS: `--require ${preload}` },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /over-chacha/);
  const external = Number(/external (\d+)/.exec(r.stderr)?.[1]);
  const ssh2Crypto = dirname(createRequire(BIN).resolve("ssh2/lib/protocol/crypto/poly1305.js"));
  if (existsSync(join(ssh2Crypto, "build", "Release", "sshcrypto.node"))) assert.ok(external < 8 * 1024 * 1024, `external memory ${external} B`);
  else assert.ok(external >= 16 * 1024 * 1024, `external memory ${external} B: the wasm module is needed and loaded`);
});
