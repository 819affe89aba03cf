/**
 * SFTPClient and SFTPFile against OpenSSH's sftp-server: every call, typed errors, and transfers
 * that never leave a partial file under the real name.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, test } from "node:test";
import { AutoAddPolicy, NoSuchFile, PermissionDenied, SFTPClient, SFTPError, SSHClient } from "../../src/ssh/index.js";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;
let client: SSHClient;
let sftp: SFTPClient;
let local: string;
let remote: string;

async function connect(): Promise<SSHClient> {
  const c = new SSHClient();
  c.setMissingHostKeyPolicy(new AutoAddPolicy());
  await c.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
  return c;
}

before(async () => {
  sshd = await startSshd();
  client = await connect();
  sftp = await client.openSftp();
  local = await mkdtemp(path.join(tmpdir(), "shoal-sftp-test-"));
  remote = sshd.workDir;
});
after(async () => {
  await sftp?.close();
  await client?.close();
  await sshd?.stop();
  if (local) await rm(local, { recursive: true, force: true });
});

test("put and get: contents, callback, confirm, returned attributes", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 123);
  const source = path.join(local, "up.bin");
  await writeFile(source, data);
  const progress: Array<[number, number]> = [];
  const attrs = await sftp.put(source, `${remote}/up.bin`, { callback: (sent, total) => progress.push([sent, total]) });
  assert.equal(attrs.stSize, data.length);
  assert.equal(attrs.filename, "up.bin");
  assert.deepEqual(progress.at(-1), [data.length, data.length]);
  assert.deepEqual(await readFile(`${remote}/up.bin`), data);

  const target = path.join(local, "down.bin");
  const seen: number[] = [];
  assert.equal(await sftp.get(`${remote}/up.bin`, target, { callback: (got) => seen.push(got) }), data.length);
  assert.deepEqual(await readFile(target), data);
  assert.equal(seen.at(-1), data.length);
  // An empty file too.
  await writeFile(path.join(local, "empty"), "");
  assert.equal((await sftp.put(path.join(local, "empty"), `${remote}/empty`)).stSize, 0);
  assert.equal(await sftp.get(`${remote}/empty`, path.join(local, "empty2")), 0);
  assert.equal((await readFile(path.join(local, "empty2"))).length, 0);
});

test("put/get preserve copy mode and times", async () => {
  const source = path.join(local, "keep.txt");
  await writeFile(source, "keep", { mode: 0o640 });
  await utimes(source, 1_000_000, 1_500_000_000);
  const attrs = await sftp.put(source, `${remote}/keep.txt`, { preserve: true });
  assert.equal(attrs.stMode! & 0o777, 0o640);
  assert.equal(attrs.stMtime, 1_500_000_000);
  const back = path.join(local, "keep-back.txt");
  await sftp.get(`${remote}/keep.txt`, back, { preserve: true });
  const stats = await stat(back);
  assert.equal(stats.mode & 0o777, 0o640);
  assert.equal(Math.round(stats.mtimeMs / 1000), 1_500_000_000);
});

test("putfo and getfo with streams", async () => {
  const parts = [Buffer.from("alpha "), Buffer.from("beta "), Buffer.from("gamma")];
  const attrs = await sftp.putfo(Readable.from(parts), `${remote}/stream.txt`, { fileSize: 16 });
  assert.equal(attrs.stSize, 16);
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  assert.equal(await sftp.getfo(`${remote}/stream.txt`, sink), 16);
  assert.equal(Buffer.concat(chunks).toString(), "alpha beta gamma");
  // Large enough to need many pipelined reads, delivered in order.
  const big = randomBytes(2 * 1024 * 1024 + 7);
  await writeFile(`${remote}/big-stream.bin`, big);
  const out = new PassThrough();
  const received: Buffer[] = [];
  out.on("data", (chunk: Buffer) => received.push(chunk));
  await sftp.getfo(`${remote}/big-stream.bin`, out);
  assert.deepEqual(Buffer.concat(received), big);
});

test("putDir and getDir copy trees", async () => {
  const tree = path.join(local, "tree");
  await mkdir(path.join(tree, "a", "b"), { recursive: true });
  await writeFile(path.join(tree, "top.txt"), "top");
  await writeFile(path.join(tree, "a", "b", "deep.txt"), "deep");
  await sftp.putDir(tree, `${remote}/tree`);
  assert.equal(await readFile(`${remote}/tree/a/b/deep.txt`, "utf8"), "deep");
  await sftp.getDir(`${remote}/tree`, path.join(local, "tree-back"));
  assert.equal(await readFile(path.join(local, "tree-back", "top.txt"), "utf8"), "top");
  assert.equal(await readFile(path.join(local, "tree-back", "a", "b", "deep.txt"), "utf8"), "deep");
});

test("listdir, listdirAttr, listdirIter", async () => {
  await sftp.mkdir(`${remote}/list`);
  for (let i = 0; i < 120; i++) await writeFile(`${remote}/list/f${i}`, String(i));
  const names = await sftp.listdir(`${remote}/list`);
  assert.equal(names.length, 120);
  assert.ok(!names.includes(".") && !names.includes(".."));
  const attrs = await sftp.listdirAttr(`${remote}/list`);
  const f7 = attrs.find((a) => a.filename === "f7")!;
  assert.equal(f7.stSize, 1);
  assert.ok(f7.isFile());
  assert.match(f7.longname, /f7$/);
  assert.match(f7.toString(), /^-rw.* f7$/);
  let count = 0;
  for await (const entry of sftp.listdirIter(`${remote}/list`)) if (entry.filename.startsWith("f")) count++;
  assert.equal(count, 120);
});

test("stat, lstat, symlink, readlink, normalize", async () => {
  await writeFile(`${remote}/real.txt`, "real");
  await sftp.symlink("real.txt", `${remote}/link.txt`);
  assert.equal(await sftp.readlink(`${remote}/link.txt`), "real.txt");
  assert.equal(await sftp.readlink(`${remote}/real.txt`), null);
  assert.ok((await sftp.lstat(`${remote}/link.txt`)).isSymbolicLink());
  const st = await sftp.stat(`${remote}/link.txt`);
  assert.ok(st.isFile());
  assert.equal(st.stSize, 4);
  assert.equal(await sftp.normalize(`${remote}/./list/..`), remote);
});

test("chmod, chown, utime, truncate", async () => {
  // Created through SFTP, so the test user owns it.
  await sftp.putfo(Readable.from([Buffer.from("0123456789")]), `${remote}/attrs.txt`);
  await sftp.chmod(`${remote}/attrs.txt`, 0o600);
  assert.equal((await stat(`${remote}/attrs.txt`)).mode & 0o777, 0o600);
  const mine = await sftp.stat(`${remote}/attrs.txt`);
  await sftp.chown(`${remote}/attrs.txt`, mine.stUid!, mine.stGid!);
  await sftp.utime(`${remote}/attrs.txt`, [1000, 2000]);
  const st = await sftp.stat(`${remote}/attrs.txt`);
  assert.equal(st.stAtime, 1000);
  assert.equal(st.stMtime, 2000);
  await sftp.utime(`${remote}/attrs.txt`, null);
  assert.ok(Math.abs((await sftp.stat(`${remote}/attrs.txt`)).stMtime! - Date.now() / 1000) < 60);
  await sftp.truncate(`${remote}/attrs.txt`, 4);
  assert.equal(await readFile(`${remote}/attrs.txt`, "utf8"), "0123");
});

test("mkdir, rmdir, remove/unlink, rename, posixRename", async () => {
  await sftp.mkdir(`${remote}/d`, 0o755);
  assert.ok((await sftp.stat(`${remote}/d`)).isDirectory());
  await assert.rejects(sftp.mkdir(`${remote}/d`), (e: unknown) => e instanceof SFTPError && e.code === "EEXIST" && e.path === `${remote}/d`);
  await sftp.rmdir(`${remote}/d`);
  await writeFile(`${remote}/a.txt`, "a");
  await writeFile(`${remote}/b.txt`, "b");
  await assert.rejects(sftp.rename(`${remote}/a.txt`, `${remote}/b.txt`), (e: unknown) => e instanceof SFTPError && e.code === "EEXIST");
  await sftp.posixRename(`${remote}/a.txt`, `${remote}/b.txt`);
  assert.equal(await readFile(`${remote}/b.txt`, "utf8"), "a");
  await sftp.rename(`${remote}/b.txt`, `${remote}/c.txt`);
  await sftp.remove(`${remote}/c.txt`);
  await writeFile(`${remote}/u.txt`, "u");
  await sftp.unlink(`${remote}/u.txt`);
  assert.ok(!existsSync(`${remote}/c.txt`) && !existsSync(`${remote}/u.txt`));
});

test("chdir and getcwd: relative paths resolve against the client-side cwd", async () => {
  const session = await client.openSftp();
  try {
    assert.equal(session.getcwd(), null);
    await session.mkdir(`${remote}/cwd`);
    await session.chdir(`${remote}/cwd`);
    assert.equal(session.getcwd(), `${remote}/cwd`);
    await writeFile(`${remote}/cwd/here.txt`, "here");
    assert.deepEqual(await session.listdir(), ["here.txt"]);
    assert.equal((await session.stat("here.txt")).stSize, 4);
    await assert.rejects(session.chdir("here.txt"), /not a directory/);
    await session.chdir(null);
    assert.equal(session.getcwd(), null);
  } finally {
    await session.close();
  }
});

test("typed errors carry the path and a Node-style code", async () => {
  await assert.rejects(sftp.stat(`${remote}/missing`), (e: unknown) => {
    assert.ok(e instanceof NoSuchFile);
    assert.equal(e.code, "ENOENT");
    assert.equal(e.path, `${remote}/missing`);
    assert.equal(e.syscall, "stat");
    assert.ok(e.message.includes(`${remote}/missing`));
    return true;
  });
  await assert.rejects(sftp.open("/root/forbidden", "w"), (e: unknown) => e instanceof PermissionDenied && e.code === "EACCES" && e.path === "/root/forbidden");
  await assert.rejects(sftp.put(path.join(local, "up.bin"), "/etc/shoal-nope"), (e: unknown) => e instanceof PermissionDenied);
  await assert.rejects(sftp.get(`${remote}/missing`, path.join(local, "never")), NoSuchFile);
  assert.ok(!existsSync(path.join(local, "never")));
});

test("SFTPFile: read, write, seek, tell, append, readline, iteration, readv, stat, handle ops", async () => {
  {
    await using file = await sftp.open(`${remote}/file.txt`, "w");
    await file.write("line one\nline two\n");
    await file.write(Buffer.from("line three"));
    assert.equal(file.tell(), 28);
    await file.chmod(0o644);
  }
  {
    await using file = await sftp.open(`${remote}/file.txt`, "a");
    await file.write("\nline four\n");
  }
  await using file = await sftp.open(`${remote}/file.txt`, "r+b");
  assert.equal((await file.read(4)).toString(), "line");
  assert.equal(file.tell(), 4);
  await file.seek(-5, 2);
  assert.equal((await file.read()).toString(), "four\n");
  assert.equal((await file.read(10)).length, 0);
  await file.seek(0);
  assert.equal(await file.readline(), "line one\n");
  const rest: string[] = [];
  for await (const line of file) rest.push(line);
  assert.deepEqual(rest, ["line two\n", "line three\n", "line four\n"]);
  const ranges: string[] = [];
  for await (const chunk of file.readv([[5, 3], [14, 3]])) ranges.push(chunk.toString());
  assert.deepEqual(ranges, ["one", "two"]);
  assert.equal((await file.stat()).stSize, 39);
  await file.seek(0);
  await file.write("LINE");
  await file.truncate(8);
  await file.utime([10, 20]);
  assert.equal(await readFile(`${remote}/file.txt`, "utf8"), "LINE one");
  assert.equal((await sftp.stat(`${remote}/file.txt`)).stMtime, 20);
  await assert.rejects(sftp.open(`${remote}/file.txt`, "x"), SFTPError);
});

test("SFTPFile pipelined writes and streams", async () => {
  const data = randomBytes(1024 * 1024);
  {
    await using file = await sftp.open(`${remote}/pipelined.bin`, "w");
    file.setPipelined(true);
    for (let at = 0; at < data.length; at += 64 * 1024) await file.write(data.subarray(at, at + 64 * 1024));
    await file.flush();
  }
  assert.deepEqual(await readFile(`${remote}/pipelined.bin`), data);
  await using readBack = await sftp.open(`${remote}/pipelined.bin`);
  const chunks: Buffer[] = [];
  for await (const chunk of readBack.createReadStream()) chunks.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(chunks), data);
});

/**
 * Counts the read requests on the SFTP session while `body` runs: the most in flight at once, and
 * the bytes asked for. `failAt`: the first request at that offset or after fails, as a server
 * error would.
 */
async function readsInFlight<T>(body: () => Promise<T>, failAt?: number): Promise<{ result: T; most: number; requests: number; asked: number }> {
  const session = sftp.sftp;
  const read = session.read;
  let inFlight = 0;
  let most = 0;
  let requests = 0;
  let asked = 0;
  let failed = false;
  session.read = function (this: typeof session, ...args: Parameters<typeof read>) {
    inFlight++;
    requests++;
    asked += args[3];
    most = Math.max(most, inFlight);
    const callback = args[5];
    const failHere = failAt !== undefined && !failed && args[4] >= failAt;
    failed ||= failHere;
    args[5] = ((...results: Parameters<typeof callback>) => {
      inFlight--;
      if (failHere) (callback as (error: Error) => void)(Object.assign(new Error("Failure"), { code: 4 }));
      else callback(...results);
    }) as typeof callback;
    return read.apply(this, args);
  } as typeof read;
  try {
    return { result: await body(), most, requests, asked };
  } finally {
    session.read = read;
  }
}

test("SFTPFile reads are pipelined: the rest of a file, a large read, and after prefetch() every read", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 4321); // not a whole number of blocks
  await sftp.putfo(Readable.from([data]), `${remote}/prefetch.bin`); // the login user's, to write to below
  await using file = await sftp.open(`${remote}/prefetch.bin`);

  const whole = await readsInFlight(() => file.read());
  assert.deepEqual(whole.result, data);
  assert.ok(whole.most > 4 && whole.most <= 16, `read(): ${whole.most} requests in flight at most`);

  await file.seek(1000);
  const large = await readsInFlight(() => file.read(2 * 1024 * 1024));
  assert.deepEqual(large.result, data.subarray(1000, 1000 + 2 * 1024 * 1024));
  assert.ok(large.most > 1, `read(2 MiB): ${large.most} in flight`);
  assert.ok(large.asked <= 2 * 1024 * 1024 + 256 * 1024, `read(2 MiB) asked for ${large.asked} bytes`);
  assert.equal((await file.read(0)).length, 0);
  assert.equal(file.tell(), 1000 + 2 * 1024 * 1024);

  // After prefetch, small reads in odd sizes come from requests sent ahead, in order.
  await file.seek(0);
  file.prefetch({ fileSize: data.length, maxConcurrentRequests: 8 });
  const small = await readsInFlight(async () => {
    const parts: Buffer[] = [];
    for (const size of [1, 999, 70_000, 5, 300_000]) parts.push(await file.read(size));
    parts.push(await file.read());
    return Buffer.concat(parts);
  });
  assert.deepEqual(small.result, data);
  assert.ok(small.most > 1 && small.most <= 8, `after prefetch: ${small.most} in flight`);
  assert.equal((await file.read(10)).length, 0);

  // A seek elsewhere, and a write, are honoured: what was fetched ahead is not reused for them.
  await file.seek(2 * 1024 * 1024);
  assert.deepEqual(await file.read(100), data.subarray(2 * 1024 * 1024, 2 * 1024 * 1024 + 100));
  await file.seek(10);
  assert.deepEqual(await file.read(10), data.subarray(10, 20));
  await using writer = await sftp.open(`${remote}/prefetch.bin`, "r+");
  writer.prefetch();
  assert.deepEqual(await writer.read(10), data.subarray(0, 10));
  await writer.write("CHANGED");
  await writer.seek(10);
  assert.equal((await writer.read(7)).toString(), "CHANGED");
  assert.throws(() => file.prefetch({ maxConcurrentRequests: 0 }), /maxConcurrentRequests must be a positive integer/);

  // A read that fails after prefetch loses nothing: the next read asks again from the same place.
  await file.seek(0);
  file.prefetch({ maxConcurrentRequests: 4 });
  const failing = await readsInFlight(async () => {
    assert.equal((await file.read(1)).length, 1);
    await assert.rejects(file.read(600_000), /Failure/);
    return file.read(600_000);
  }, 300_000);
  const changed = Buffer.from(data);
  changed.write("CHANGED", 10); // by the writer above
  assert.deepEqual(failing.result, changed.subarray(1, 600_001));
  assert.equal(file.tell(), 600_001);
  // Closing the file while a read waits fails that read, rather than end it short.
  await using closing = await sftp.open(`${remote}/prefetch.bin`);
  closing.prefetch();
  const pending = assert.rejects(closing.read(), /closed while reading/);
  await closing.close();
  await pending;

  // Lines after prefetch, then a read from where the lines stopped.
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`);
  await writeFile(`${remote}/lines.txt`, lines.join(""));
  await using text = await sftp.open(`${remote}/lines.txt`);
  text.prefetch();
  const got = [await text.readline(), await text.readline()];
  assert.deepEqual(got, lines.slice(0, 2));
  assert.equal((await text.read()).toString(), lines.slice(2).join(""));
  await assert.rejects(file.read(-1), /size must be a non-negative integer/);
});

test("a transfer cut in the middle leaves no file under the real name, and a retry works", async () => {
  const data = randomBytes(32 * 1024 * 1024);
  const source = path.join(local, "cut.bin");
  await writeFile(source, data);

  // Upload: kill the connection once a quarter has been acknowledged.
  const victim = await connect();
  const victimSftp = await victim.openSftp();
  let cut = false;
  await assert.rejects(
    victimSftp.put(source, `${remote}/cut.bin`, {
      callback: (sent) => {
        if (!cut && sent > data.length / 4) {
          cut = true;
          void victim.close();
        }
      },
    }),
  );
  assert.ok(cut);
  assert.ok(!existsSync(`${remote}/cut.bin`), "no remote file under the real name");
  assert.ok((await readdir(remote)).some((name) => name.startsWith(".cut.bin.shoal-")), "the partial data is under a temporary name");
  assert.equal((await sftp.put(source, `${remote}/cut.bin`)).stSize, data.length);
  assert.deepEqual(await readFile(`${remote}/cut.bin`), data);

  // Download: the same, on the local side.
  const victim2 = await connect();
  const victim2Sftp = await victim2.openSftp();
  const target = path.join(local, "cut-back.bin");
  cut = false;
  await assert.rejects(
    victim2Sftp.get(`${remote}/cut.bin`, target, {
      callback: (got) => {
        if (!cut && got > data.length / 4) {
          cut = true;
          void victim2.close();
        }
      },
    }),
  );
  assert.ok(cut);
  assert.ok(!existsSync(target), "no local file under the real name");
  assert.deepEqual(
    (await readdir(local)).filter((name) => name.startsWith(".cut-back.bin")),
    [],
    "the local temporary file is removed",
  );
  assert.equal(await sftp.get(`${remote}/cut.bin`, target), data.length);
  assert.deepEqual(await readFile(target), data);
});

test("open modes: a file read in a write-only mode or written in a read-only one says so (EBADF); \"x\" on an existing file is EEXIST", async () => {
  const target = `${remote}/modes.txt`;
  await writeFile(path.join(local, "modes.txt"), "abc");
  await sftp.put(path.join(local, "modes.txt"), target);
  const notOpenFor = (what: string, mode: string) => (error: unknown) =>
    error instanceof SFTPError && error.code === "EBADF" && error.path === target && error.message.includes(`not open for ${what} (mode "${mode}")`);
  for (const mode of ["r", "rb"]) {
    await using file = await sftp.open(target, mode);
    await assert.rejects(file.write("x"), notOpenFor("writing", mode));
    assert.equal((await file.read()).toString(), "abc");
  }
  for (const mode of ["w", "a", "ab", "x"]) {
    if (mode === "x") await sftp.remove(target);
    await using file = await sftp.open(target, mode);
    await assert.rejects(file.read(), notOpenFor("reading", mode));
    await assert.rejects(file.readline(), notOpenFor("reading", mode));
    await file.write("d");
  }
  for (const mode of ["r+", "w+", "a+", "x+"]) {
    if (mode === "x+") await sftp.remove(target);
    await using file = await sftp.open(target, mode);
    await file.write("e");
    await file.seek(0);
    assert.notEqual((await file.read()).length, 0);
  }
  await assert.rejects(sftp.open(target, "x"), (error: unknown) => error instanceof SFTPError && error.code === "EEXIST" && error.path === target);
});

test("a folder where put, get or getfo expects a file says so (EISDIR, the path given), with nothing left behind", async () => {
  const source = path.join(local, "for-folders.bin");
  await writeFile(source, randomBytes(100_000));
  await sftp.mkdir(`${remote}/a-folder`);
  await mkdir(path.join(local, "a-folder"));
  const isADirectory = (target: string) => (error: unknown) =>
    (error as NodeJS.ErrnoException).code === "EISDIR" && (error as { path?: string }).path === target && /directory/.test((error as Error).message) && !(error as Error).message.includes(".part");
  await assert.rejects(sftp.put(source, `${remote}/a-folder`), isADirectory(`${remote}/a-folder`));
  assert.deepEqual((await sftp.listdir(remote)).filter((name) => name.startsWith(".a-folder.")), []);
  await sftp.put(source, `${remote}/for-folders.bin`);
  await assert.rejects(sftp.get(`${remote}/for-folders.bin`, path.join(local, "a-folder")), isADirectory(path.join(local, "a-folder")));
  await assert.rejects(sftp.get(`${remote}/a-folder`, path.join(local, "from-a-folder")), (error: unknown) => error instanceof SFTPError && isADirectory(`${remote}/a-folder`)(error));
  await assert.rejects(sftp.getfo(`${remote}/a-folder`, new PassThrough()), isADirectory(`${remote}/a-folder`));
  assert.deepEqual((await readdir(local)).filter((name) => name.endsWith(".part") || name === "from-a-folder"), []);
});

test("settimeout bounds each reply of a server that froze, files' included; the session works again once it answers", { timeout: 60_000 }, async (t) => {
  // sftp-server started through a script that says its pid, to be stopped (SIGSTOP) and let go.
  const wrapper = await mkdtemp(path.join(tmpdir(), "shoal-sftp-freeze-"));
  const pidFile = path.join(wrapper, "pids", "sftp-server.pid");
  await mkdir(path.dirname(pidFile), { mode: 0o777 });
  await chmod(wrapper, 0o755);
  await chmod(path.dirname(pidFile), 0o777);
  const script = path.join(wrapper, "sftp-server.sh");
  await writeFile(script, `#!/bin/sh\necho $$ > ${pidFile}\nexec /usr/lib/openssh/sftp-server\n`, { mode: 0o755 });
  const frozen = await startSshd({ sftpServer: script });
  const c = new SSHClient();
  c.setMissingHostKeyPolicy(new AutoAddPolicy());
  await c.connect({ hostname: frozen.host, port: frozen.port, username: frozen.user, keyFilename: frozen.keyPath, allowAgent: false, lookForKeys: false });
  const session = await c.openSftp();
  let pid = 0;
  t.after(async () => {
    if (pid) process.kill(pid, "SIGCONT");
    await c.close();
    await frozen.stop();
    await rm(wrapper, { recursive: true, force: true });
  });
  await writeFile(path.join(frozen.workDir, "f"), "hello");
  const file = await session.open(`${frozen.workDir}/f`);
  assert.equal(session.gettimeout(), null);
  session.settimeout(300);
  assert.equal(session.gettimeout(), 300);
  pid = Number((await readFile(pidFile, "utf8")).trim());
  process.kill(pid, "SIGSTOP");
  for (const [what, call] of [
    ["stat", () => session.stat(`${frozen.workDir}/f`)],
    ["listdir", () => session.listdir(frozen.workDir)],
    ["file read", () => file.read(5)],
    ["file stat", () => file.stat()],
  ] as const) {
    await assert.rejects(call(), (e: Error & { phase?: string; timeout?: number }) => {
      assert.equal(e.name, "TimeoutError", what);
      assert.equal(e.phase, "sftp", what);
      assert.equal(e.timeout, 300, what);
      assert.match(e.message, /Timed out after 300 ms waiting for the SFTP server's reply/);
      return true;
    });
  }
  process.kill(pid, "SIGCONT");
  pid = 0;
  assert.equal((await session.stat(`${frozen.workDir}/f`)).stSize, 5);
  assert.deepEqual(await file.read(5), Buffer.from("hello"));
  session.settimeout(null);
  assert.equal(session.gettimeout(), null);
  for (const bad of [-1, Number.NaN, Infinity, "1s"]) assert.throws(() => session.settimeout(bad as number), /SFTPClient.settimeout: timeout must be a number of milliseconds >= 0, or null/);
  // Past Node's longest timer, each request would time out after 1 ms instead of in 30 days.
  assert.throws(() => session.settimeout(30 * 24 * 3600_000), /SFTPClient.settimeout: timeout must be at most TIMEOUT_MAX \(2147483647 ms/);
  assert.equal(session.gettimeout(), null);
  await file.close();
});
