/**
 * `shoal run`, `hosts` and the other fleet commands start without loading what only `testbed`,
 * `demo` and `shell` need (the testbed's SSH servers, the demo, the shell's terminal handling):
 * those are imported by their own actions. `hosts` and `groups`, which connect nowhere, do not load
 * the fleet and ssh2 either.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));
/** The `shoal` bin: the launcher of the command bundled by scripts/bundle.mjs (dist/shoal-cli.cjs). */
const BUNDLE = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));

/** Runs `shoal ARGS` in a child whose module hooks list every module it loads. */
async function modulesLoadedBy(args: string[], main = MAIN): Promise<{ stdout: string; modules: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-startup-"));
  try {
    await writeFile(
      join(dir, "hooks.mjs"),
      `import { writeSync } from "node:fs";\nexport async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, "loaded " + r.url + "\\n"); return r; }\n`,
    );
    await writeFile(join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`);
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, main, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr }),
      );
    });
    return { stdout, modules: stderr.split("\n").filter((l) => l.startsWith("loaded ")).map((l) => l.slice("loaded ".length)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("`shoal hosts` loads neither the testbed, the demo nor the shell", async () => {
  const { stdout, modules } = await modulesLoadedBy(["hosts", "-H", "web[1-2]"]);
  assert.equal(stdout, "web1\nweb2\n");
  assert.ok(modules.some((m) => m.endsWith("/src/cli/testbed-commands.js")), "the hooks saw the command modules");
  const heavy = modules.filter((m) => /\/src\/testbed\/|\/src\/cli\/demo\.js$|\/src\/cli\/shell\/(shell|drive)\.js$|\/cli-progress\/|\/node_modules\/ssh2\/|\/src\/fleet\/fleet\.js$/.test(m));
  assert.deepEqual(heavy, []);
});

test("the bundled command (the bin) lists hosts without requiring ssh2, and keeps the testbed, demo, shell, fleet and progress bar for the commands that need them", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-startup-"));
  try {
    // The bin runs one CommonJS bundle: what it requires passes through Module._load.
    await writeFile(
      join(dir, "log-requires.cjs"),
      `const Module = require("node:module"); const { writeSync } = require("node:fs");\nconst load = Module._load;\nModule._load = function (request, ...rest) { writeSync(2, "required " + request + "\\n"); return load.call(this, request, ...rest); };\n`,
    );
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ["--require", join(dir, "log-requires.cjs"), BUNDLE, "hosts", "-H", "web[1-2]"], { timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr }),
      );
    });
    assert.equal(stdout, "web1\nweb2\n");
    const required = stderr.split("\n").filter((l) => l.startsWith("required ")).map((l) => l.slice("required ".length));
    assert.ok(required.includes("node:vm") || required.includes("commander") || required.some((r) => r.startsWith("node:")), `the hook saw the bundle's requires: ${required.join(" ")}`);
    assert.deepEqual(required.filter((r) => /^ssh2\b|cpu-features/.test(r)), [], "hosts connects nowhere: ssh2 (~50 ms) is not loaded");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // Inside the bundle, those modules run only when first imported: esbuild wraps each in an initializer.
  const bundle = await readFile(join(dirname(BUNDLE), "shoal-cli.cjs"), "utf8");
  for (const module of ["dist/src/testbed/testbed.js", "dist/src/cli/demo.js", "dist/src/cli/shell/shell.js", "dist/src/fleet/fleet.js"]) {
    assert.match(bundle, new RegExp(`= __esm\\(\\{\\n  "${module.replace(/[./]/g, "\\$&")}"\\(\\)`), `${module} is initialized lazily`);
  }
  assert.match(bundle, /var require_cli_progress = __commonJS\(/, "cli-progress is required lazily");
});

test("the bin starts Node without NODE_EXTRA_CA_CERTS (parsed at boot, unused) and gives it back to the programs it starts", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-launcher-"));
  try {
    const seen = join(dir, "seen");
    await mkdir(join(dir, ".ssh"));
    await writeFile(
      join(dir, ".ssh", "config"),
      `Host proxied\n  ProxyCommand sh -c 'echo "$NODE_EXTRA_CA_CERTS \${SHOAL_NODE_EXTRA_CA_CERTS-gone} \${MALLOC_ARENA_MAX-unset} \${SHOAL_SET_MALLOC_ARENA_MAX-gone}" > ${seen}'\n`,
    );
    const certs = join(dir, "no-such-certs.pem");
    // Run as a user runs it: the file itself, through its #! line.
    const run = (extra: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, NODE_EXTRA_CA_CERTS: certs, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1", ...extra };
        if (!("MALLOC_ARENA_MAX" in extra)) delete env["MALLOC_ARENA_MAX"];
        execFile(BUNDLE, ["run", "-H", "proxied", "--", "true"], { timeout: 30_000, env }, (err, _stdout, stderr) => resolve({ code: err ? (err.code as number | null) : 0, stderr }));
      });
    const { code, stderr } = await run({});
    assert.equal(code, 2, stderr);
    // Node warns about a certificate file it cannot load only if it read the variable as it booted.
    assert.doesNotMatch(stderr, /extra certs/i);
    // The arena setting is the command's own: its children see the user's environment.
    assert.equal((await readFile(seen, "utf8")).trim(), `${certs} gone unset gone`, "the ProxyCommand sees the user's variables, and not the bin's");
    await run({ MALLOC_ARENA_MAX: "4" });
    assert.equal((await readFile(seen, "utf8")).trim(), `${certs} gone 4 gone`, "a number the user chose is kept");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
