/**
 * The `shoal` command's compile cache: V8's code for the bundle and the packages it requires, kept
 * between runs, used only when made from the very same source, and never in the way of the command.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { CompileCache, compileCacheDir } from "../../src/cli/compile-cache.js";
import { freePort } from "../fixtures/sshd.js";

const BIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));
/** How the bin's cache files name its install: the CRC-32 of the folder of its files. */
const INSTALL = crc32(dirname(BIN)).toString(16).padStart(8, "0");

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-compile-cache-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function shoal(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 30_000, env: { ...process.env, NO_COLOR: "1", ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code as number | null) : 0, stdout, stderr }),
    );
  });
}

/** The cache files of a folder, with what tells a rewrite apart (inode and modification time). */
async function cacheFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of await readdir(dir).catch(() => [])) {
    const s = await stat(join(dir, name));
    files.set(name, `${s.ino}:${s.mtimeMs}`);
  }
  return files;
}

const SOURCE = "(function () { return 'first' + ' version' })()";

test("code compiled once is taken from the cache by the next run, which does not write it again", async (t) => {
  const dir = await tempDir(t);
  const first = CompileCache.open(dir, "unit", "/virtual")!;
  assert.equal(first.compile(SOURCE, "/virtual/a.js").runInThisContext(), "first version");
  first.flush();
  const written = await cacheFiles(dir);
  assert.equal(written.size, 1);

  const second = CompileCache.open(dir, "unit", "/virtual")!;
  const script = second.compile(SOURCE, "/virtual/a.js");
  assert.equal(script.cachedDataRejected, false, "V8 took the cached code");
  assert.equal(script.runInThisContext(), "first version");
  second.flush();
  assert.deepEqual(await cacheFiles(dir), written, "nothing new: not rewritten");
});

test("a source changed at the same length runs as changed, never from the cache of the old one", async (t) => {
  const dir = await tempDir(t);
  const first = CompileCache.open(dir, "unit", "/virtual")!;
  first.compile(SOURCE, "/virtual/a.js").runInThisContext();
  first.flush();
  const edited = SOURCE.replace("first", "other");
  assert.equal(edited.length, SOURCE.length);
  const second = CompileCache.open(dir, "unit", "/virtual")!;
  assert.equal(second.compile(edited, "/virtual/a.js").runInThisContext(), "other version");
  second.flush();
  const third = CompileCache.open(dir, "unit", "/virtual")!;
  const script = third.compile(edited, "/virtual/a.js");
  assert.equal(script.cachedDataRejected, false, "the cache now holds the edited source's code");
  assert.equal(script.runInThisContext(), "other version");
});

test("a damaged or truncated cache file is ignored and written afresh", async (t) => {
  const dir = await tempDir(t);
  const first = CompileCache.open(dir, "unit", "/virtual")!;
  first.compile(SOURCE, "/virtual/a.js").runInThisContext();
  first.flush();
  const file = first.file;
  const bytes = await readFile(file);
  for (const damaged of [Buffer.concat([bytes.subarray(0, bytes.length - 40), Buffer.alloc(40, 0x5a)]), bytes.subarray(0, bytes.length - 7), Buffer.from("not a cache")]) {
    await writeFile(file, damaged);
    const next = CompileCache.open(dir, "unit", "/virtual")!;
    assert.equal(next.compile(SOURCE, "/virtual/a.js").runInThisContext(), "first version");
    next.flush();
    const again = CompileCache.open(dir, "unit", "/virtual")!.compile(SOURCE, "/virtual/a.js");
    assert.equal(again.cachedDataRejected, false, "written afresh, and usable");
  }
});

test("NODE_DISABLE_COMPILE_CACHE turns it off", () => {
  assert.equal(CompileCache.open("/nonexistent", "unit", "/virtual", { NODE_DISABLE_COMPILE_CACHE: "1" }), null);
});

test("the bin writes its cache on a first run and only reads it on the next", async (t) => {
  const cache = await tempDir(t);
  const first = await shoal(["hosts", "-H", "web[1-2]"], { XDG_CACHE_HOME: cache });
  assert.equal(first.stdout, "web1\nweb2\n");
  const files = await cacheFiles(join(cache, "shoal"));
  assert.equal(files.size, 1, [...files.keys()].join(" "));
  assert.equal([...files.keys()][0], `compile-${process.version}-${process.arch}-hosts-${INSTALL}.bin`);
  const second = await shoal(["hosts", "-H", "web[1-2]"], { XDG_CACHE_HOME: cache });
  assert.equal(second.stdout, "web1\nweb2\n");
  assert.deepEqual(await cacheFiles(join(cache, "shoal")), files);
});

test("a fleet command writes its cache before it changes V8's flags, so the next run can use it", async (t) => {
  // V8 rejects code cached under other flags; written after the young generation is capped, every
  // run would reject the cache and write it again.
  const cache = await tempDir(t);
  const port = await freePort();
  const env = { XDG_CACHE_HOME: cache, SHOAL_STATE_DIR: join(cache, "state"), HOME: cache };
  const first = await shoal(["run", "-H", `127.0.0.1:${port}`, "--", "true"], env);
  assert.equal(first.code, 2, first.stderr);
  const files = [...(await cacheFiles(join(cache, "shoal")))].filter(([name]) => name.endsWith(`-run-${INSTALL}.bin`));
  assert.equal(files.length, 1);
  const second = await shoal(["run", "-H", `127.0.0.1:${port}`, "--", "true"], env);
  assert.equal(second.code, 2, second.stderr);
  assert.deepEqual([...(await cacheFiles(join(cache, "shoal")))].filter(([name]) => name.endsWith(`-run-${INSTALL}.bin`)), files, "not rewritten: the cache was taken");
});

test("a cache folder that cannot be written changes nothing but the speed", async (t) => {
  const dir = await tempDir(t);
  const notAFolder = join(dir, "file");
  await writeFile(notAFolder, "");
  const r = await shoal(["hosts", "-H", "web[1-2]"], { XDG_CACHE_HOME: notAFolder });
  assert.deepEqual(r, { code: 0, stdout: "web1\nweb2\n", stderr: "" });
});

test("each entry's code starts on 8 bytes in the file (V8 would copy data it must align)", async (t) => {
  const dir = await tempDir(t);
  const cache = CompileCache.open(dir, "unit", "/virtual")!;
  for (const name of ["/a.js", "/odd/name.js", "/x"]) cache.compile(SOURCE, name).runInThisContext();
  cache.flush();
  const file = await readFile(cache.file);
  const magic = file.indexOf(0x0a) + 1;
  let at = magic;
  let entries = 0;
  while (at < file.length) {
    const nameLength = file.readUInt32LE(at);
    const dataLength = file.readUInt32LE(at + 8);
    const dataCrc = file.readUInt32LE(at + 12);
    at = Math.ceil((at + 16 + nameLength) / 8) * 8;
    assert.equal(crc32(file.subarray(at, at + dataLength)), dataCrc, "the data is where the next multiple of 8 says");
    at += dataLength;
    entries++;
  }
  assert.equal(entries, 3);
  assert.equal(at, file.length);
});

test("the bundle is ASCII: the launcher reads it into a one-byte string", async () => {
  const bundle = await readFile(join(dirname(BIN), "shoal-cli.cjs"));
  assert.equal(bundle.findIndex((byte) => byte > 0x7f), -1);
});

test("a FIFO, a folder or a symlink named like the cache file: the command runs as without a cache, and leaves no temporary file", { timeout: 60_000 }, async (t) => {
  for (const plant of ["fifo", "folder", "symlink to /dev/zero"] as const) {
    const cache = await tempDir(t);
    await mkdir(join(cache, "shoal"), { mode: 0o700 });
    const first = await shoal(["hosts", "-H", "a"], { XDG_CACHE_HOME: cache, NODE_DISABLE_COMPILE_CACHE: "1" });
    assert.equal(first.code, 0);
    const file = join(cache, "shoal", `compile-${process.version}-${process.arch}-hosts-${INSTALL}.bin`);
    if (plant === "fifo") spawnSync("mkfifo", [file]);
    else if (plant === "folder") await mkdir(file);
    else await symlink("/dev/zero", file);
    for (let run = 0; run < 2; run++) {
      const r = await shoal(["hosts", "-H", "a"], { XDG_CACHE_HOME: cache });
      assert.deepEqual(r, { code: 0, stdout: "a\n", stderr: "" }, plant);
    }
    assert.deepEqual((await readdir(join(cache, "shoal"))).filter((n) => n.endsWith(".tmp")), [], `${plant}: no temporary file left`);
  }
});

test("a cache folder others can write to is not used: the code in it could be theirs", async (t) => {
  const dir = await tempDir(t);
  const shared = join(dir, "shared");
  await mkdir(shared);
  await chmod(shared, 0o777);
  assert.equal(CompileCache.open(shared, "unit", "/virtual"), null);
});

test("the temporary file is never written through a link planted in its place", async (t) => {
  const dir = await tempDir(t);
  const victim = join(dir, "victim");
  await writeFile(victim, "precious");
  const cache = CompileCache.open(join(dir, "cache"), "unit", "/virtual")!;
  cache.compile(SOURCE, "/virtual/a.js").runInThisContext();
  await mkdir(join(dir, "cache"), { mode: 0o700 });
  await symlink(victim, `${cache.file}.${process.pid}.tmp`);
  cache.flush();
  assert.equal(await readFile(victim, "utf8"), "precious");
});

test("two installs of shoal keep a file each, and the file of an install since removed goes", async (t) => {
  const dir = await tempDir(t);
  const cacheDir = join(dir, "cache");
  const [a, b] = [join(dir, "a", "bundle.js"), join(dir, "b", "bundle.js")];
  for (const file of [a, b]) {
    await mkdir(dirname(file));
    await writeFile(file, "");
  }
  const first = CompileCache.open(cacheDir, "unit", dirname(a))!;
  first.compile(SOURCE, a).runInThisContext();
  first.flush();
  const second = CompileCache.open(cacheDir, "unit", dirname(b))!;
  second.compile(SOURCE, b).runInThisContext();
  second.flush();
  assert.notEqual(first.file, second.file);
  assert.deepEqual((await readdir(cacheDir)).sort(), [basename(first.file), basename(second.file)].sort());
  const again = CompileCache.open(cacheDir, "unit", dirname(a))!;
  assert.equal(again.compile(SOURCE, a).cachedDataRejected, false, "the first install's code is still there");

  // b is uninstalled; the next write of a's cache takes b's away, and a file named as before
  // installs had one each (never read again), and keeps a's own.
  await rm(dirname(b), { recursive: true });
  await writeFile(join(cacheDir, `compile-${process.version}-${process.arch}-unit.bin`), await readFile(first.file));
  const third = CompileCache.open(cacheDir, "unit", dirname(a))!;
  third.compile(SOURCE + " ", a).runInThisContext();
  third.flush();
  assert.deepEqual(await readdir(cacheDir), [basename(first.file)]);
});

test("a relative XDG_CACHE_HOME is ignored, as the XDG spec says", () => {
  assert.equal(compileCacheDir({ XDG_CACHE_HOME: "relative" }), join(homedir(), ".cache", "shoal"));
  assert.equal(compileCacheDir({ XDG_CACHE_HOME: "/abs" }), "/abs/shoal");
});

test("the bundle run directly (node dist/shoal-cli.cjs) runs the command once", async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [join(dirname(BIN), "shoal-cli.cjs"), "hosts", "-H", "a"], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  assert.equal(out, "a\n");
});
