/**
 * put and get against OpenSSH's sshd and its sftp-server: what a failed copy leaves behind, links,
 * permission bits, `..`, long and odd names, `~/`, and the reasons a refused copy is given.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSshd } from "../fixtures/sshd.js";
import { Fleet } from "../../src/fleet/fleet.js";
import { knownHostsFor, loopback, sshdHosts } from "./helpers.js";

const sshd = await startSshd({ listenAll: true, maxStartups: 1000 });
const dir = await mkdtemp(join(tmpdir(), "shoal-transfer-"));
const knownHosts = await knownHostsFor(sshd, dir);
const base = { knownHosts, sshConfig: false as const, agent: false as const, connectTimeout: 10_000 };
const uid = Number(execFileSync("id", ["-u", sshd.user], { encoding: "utf8" }).trim());
const gid = Number(execFileSync("id", ["-g", sshd.user], { encoding: "utf8" }).trim());
test.after(async () => {
  await sshd.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Makes a link the sshd user's own (the tests run as root). */
async function lchownLink(path: string): Promise<void> {
  const { lchown } = await import("node:fs/promises");
  await lchown(path, uid, gid);
}

/** A fresh folder the sshd user can write to. */
async function remoteDir(name: string): Promise<string> {
  const path = join(sshd.workDir, name);
  await rm(path, { recursive: true, force: true });
  await mkdir(path);
  await chown(path, uid, gid);
  return path;
}

const temporaries = async (path: string) => (await readdir(path)).filter((n) => n.includes(".shoal-"));

test("a put that fails or is cancelled mid-file leaves no temporary file on the host", async () => {
  const target = await remoteDir("refused");
  // A folder stands where the file should go: the rename at the end is refused.
  await mkdir(join(target, "a", "inside"), { recursive: true });
  const local = join(dir, "a");
  await writeFile(local, "x");
  await using fleet = new Fleet(sshdHosts(sshd, 1, 10), base);
  const [refused] = await fleet.put(local, join(target, "a")).results();
  assert.equal(refused!.state, "failed", JSON.stringify(refused));
  assert.deepEqual(await temporaries(target), []);

  // Cancelled as soon as bytes flow: the temporary file exists then, and must go.
  const big = join(dir, "big");
  await writeFile(big, Buffer.alloc(48 << 20));
  const run = fleet.put(big, join(target, "big"));
  let progressed = false;
  for await (const ev of run) {
    if (ev.type === "progress" && ev.bytes > 0 && !progressed) {
      progressed = true;
      run.cancel();
    }
  }
  const [cancelled] = await run.results();
  assert.ok(progressed);
  assert.equal(cancelled!.state, "killed", JSON.stringify(cancelled));
  assert.deepEqual(await temporaries(target), []);
});

test("a put that fills the disk says so, and leaves the disk as it was", async (t) => {
  const mount = await remoteDir("full");
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=256k,uid=${uid},gid=${gid}`, "tmpfs", mount], { encoding: "utf8" });
  if (mounted.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
  t.after(() => spawnSync("umount", [mount]));
  const local = join(dir, "too-big");
  await writeFile(local, Buffer.alloc(1 << 20, 1));
  await using fleet = new Fleet(sshdHosts(sshd, 1, 11), base);
  const [r] = await fleet.put(local, join(mount, "too-big")).results();
  assert.equal(r!.state, "failed");
  assert.equal(r!.reason, `cannot write ${join(mount, "too-big")}: no space left on the device`);
  assert.deepEqual(await readdir(mount), []);
});

test("links are copied as links both ways; a dangling one too; a pipe is counted, not copied", async (t) => {
  const tree = join(dir, "linked");
  await rm(tree, { recursive: true, force: true });
  await mkdir(join(tree, "sub"), { recursive: true });
  await writeFile(join(tree, "a"), "a");
  await writeFile(join(tree, "sub", "b"), "b");
  await symlink("a", join(tree, "to-a"));
  await symlink("sub", join(tree, "to-sub"));
  await symlink("/etc/hostname", join(tree, "outside"));
  await symlink("nowhere", join(tree, "dangling"));
  execFileSync("mkfifo", [join(tree, "pipe")]);
  const target = join(await remoteDir("linked-copy"), "tree");
  await using fleet = new Fleet(sshdHosts(sshd, 2, 12), base);
  const [put] = await fleet.put(tree, target, { recursive: true, hosts: [loopback(12)] }).results();
  assert.deepEqual([put!.state, put!.files, put!.links, put!.ignored], ["ok", 2, 4, 1], JSON.stringify(put));
  for (const [name, to] of [["to-a", "a"], ["to-sub", "sub"], ["outside", "/etc/hostname"], ["dangling", "nowhere"]]) {
    assert.ok((await lstat(join(target, name!))).isSymbolicLink(), name);
    assert.equal(await readlink(join(target, name!)), to);
  }
  const [again] = await fleet.put(tree, target, { recursive: true, hosts: [loopback(12)] }).results();
  assert.deepEqual([again!.files, again!.links, again!.skipped], [0, 0, 6]);

  const into = join(dir, "linked-got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const got = await fleet.get(target, into, { recursive: true }).results();
  assert.ok(got.every((r) => r.state === "ok" && r.files === 2 && r.links === 4), JSON.stringify(got));
  for (const host of [loopback(12), loopback(13)]) {
    assert.equal(await readlink(join(into, host, "tree", "outside")), "/etc/hostname");
    assert.equal(await readlink(join(into, host, "tree", "to-sub")), "sub");
  }
});

test("get keeps the remote permission bits; put -r gives new folders the local ones", async (t) => {
  const target = await remoteDir("modes");
  const secret = join(target, "secret");
  await writeFile(secret, "key");
  await chown(secret, uid, gid);
  await chmod(secret, 0o600);
  await using fleet = new Fleet(sshdHosts(sshd, 1, 14), base);
  const into = join(dir, "modes-got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const [got] = await fleet.get(secret, into).results();
  assert.equal(got!.state, "ok");
  assert.equal((await stat(join(into, loopback(14), "secret"))).mode & 0o777, 0o600);

  const tree = join(dir, "private-tree");
  await mkdir(join(tree, "private"), { recursive: true });
  await chmod(join(tree, "private"), 0o700);
  await writeFile(join(tree, "private", "f"), "f");
  const [put] = await fleet.put(tree, join(target, "tree"), { recursive: true }).results();
  assert.equal(put!.state, "ok");
  assert.equal((await stat(join(target, "tree", "private"))).mode & 0o777, 0o700);
});

test("`..` never leads out of the target, nor mixes the hosts' files", async (t) => {
  const tree = join(dir, "up");
  await mkdir(join(tree, "sub"), { recursive: true });
  await writeFile(join(tree, "a"), "a");
  const target = await remoteDir("up-dest");
  await using fleet = new Fleet(sshdHosts(sshd, 2, 16), base);
  // put -r .. from inside the tree: the tree goes under the target, by its real name.
  // (Written out: path.join would resolve the `..` itself.)
  const [put] = await fleet.put(`${tree}/sub/..`, `${target}/`, { recursive: true, hosts: [loopback(16)] }).results();
  assert.equal(put!.state, "ok", JSON.stringify(put));
  assert.equal(await readFile(join(target, "up", "a"), "utf8"), "a");
  assert.deepEqual((await readdir(join(sshd.workDir))).filter((n) => n === "a"), []);

  const into = join(dir, "up-got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const got = await fleet.get(`${target}/up/..`, into, { recursive: true }).results();
  assert.ok(got.every((r) => r.state === "ok"), JSON.stringify(got));
  // Each host under its own folder, by the real name of what `..` is.
  assert.deepEqual((await readdir(into)).sort(), [loopback(16), loopback(17)]);
  assert.equal(await readFile(join(into, loopback(17), "up-dest", "up", "a"), "utf8"), "a");
});

test("names too long for a temporary name, names that sha256sum escapes, and ~/ paths", async (t) => {
  const target = await remoteDir("names");
  await using fleet = new Fleet(sshdHosts(sshd, 1, 18), base);
  const long = "L".repeat(245);
  await writeFile(join(dir, long), "long");
  const [putLong] = await fleet.put(join(dir, long), `${target}/`).results();
  assert.equal(putLong!.state, "ok", JSON.stringify(putLong));
  assert.equal(await readFile(join(target, long), "utf8"), "long");
  const into = join(dir, "names-got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const [getLong] = await fleet.get(join(target, long), into).results();
  assert.equal(getLong!.state, "ok", JSON.stringify(getLong));

  // sha256sum prints `\HASH  name` for a name with a backslash: --checksum never matched it.
  const odd = join(dir, "back\\slash");
  await writeFile(odd, "b");
  await fleet.put(odd, `${target}/`).results();
  const [again] = await fleet.put(odd, `${target}/`, { checksum: true }).results();
  assert.equal(again!.skipped, 1, JSON.stringify(again));

  // ~/ is the home folder, as scp takes it.
  const home = execFileSync("getent", ["passwd", sshd.user], { encoding: "utf8" }).split(":")[5]!;
  const name = `shoal-tilde-${process.pid}`;
  t.after(() => rm(join(home, name), { force: true }));
  const [tilde] = await fleet.put(join(dir, long), `~/${name}`).results();
  assert.equal(tilde!.state, "ok", JSON.stringify(tilde));
  assert.equal(await readFile(join(home, name), "utf8"), "long");
});

test("a file put under a missing folder/ makes it, as a tree does; a failed get leaves no empty host folder", async (t) => {
  const target = await remoteDir("made");
  await using fleet = new Fleet(sshdHosts(sshd, 1, 19), base);
  await writeFile(join(dir, "one"), "1");
  const [put] = await fleet.put(join(dir, "one"), `${target}/new/`).results();
  assert.equal(put!.state, "ok", JSON.stringify(put));
  assert.equal(await readFile(join(target, "new", "one"), "utf8"), "1");

  const into = join(dir, "made-got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const [missing] = await fleet.get(join(target, "nope"), into).results();
  assert.equal(missing!.state, "failed");
  assert.deepEqual(await readdir(into).catch(() => []), []);
});

test("a file the user may not reach is 'permission denied', not 'no such file'", async (t) => {
  const closed = join(sshd.workDir, "closed");
  await rm(closed, { recursive: true, force: true });
  await mkdir(closed, { mode: 0o700 }); // root's: the sshd user may not search it
  await chmod(closed, 0o700);
  await writeFile(join(closed, "f"), "f");
  await using fleet = new Fleet(sshdHosts(sshd, 1, 20), base);
  const into = join(dir, "closed-got");
  t.after(() => rm(into, { recursive: true, force: true }));
  const [r] = await fleet.get(join(closed, "f"), into).results();
  assert.equal(r!.state, "failed");
  assert.equal(r!.reason, `cannot read ${join(closed, "f")}: permission denied`);
});

test("a link where a folder of the tree goes is refused, both ways: followed, it would take the files wherever it points", async (t) => {
  const outside = await remoteDir("outside");
  const target = await remoteDir("linked-target");
  // On the host: the tree's folder `d` is a link to somewhere else.
  await symlink(outside, join(target, "d"));
  await lchownLink(join(target, "d"));
  const tree = join(dir, "with-d");
  await mkdir(join(tree, "d"), { recursive: true });
  await writeFile(join(tree, "d", "x"), "x");
  await using fleet = new Fleet(sshdHosts(sshd, 1, 21), base);
  const [put] = await fleet.put(tree, target, { recursive: true }).results();
  assert.equal(put!.state, "failed");
  assert.equal(put!.reason, `cannot create folder ${join(target, "d")}: a link is in the way`);
  assert.deepEqual(await readdir(outside), []);

  // Here: a link (left by an earlier get) where the host now has a folder.
  const into = join(dir, "linked-got");
  const victim = join(dir, "victim");
  await mkdir(victim, { recursive: true });
  t.after(() => rm(into, { recursive: true, force: true }));
  const remoteTree = await remoteDir("tree-with-folder");
  await mkdir(join(remoteTree, "d"));
  await writeFile(join(remoteTree, "d", "evil"), "e");
  await mkdir(join(into, loopback(21), "tree-with-folder"), { recursive: true });
  await symlink(victim, join(into, loopback(21), "tree-with-folder", "d"));
  const [got] = await fleet.get(remoteTree, into, { recursive: true }).results();
  assert.equal(got!.state, "failed");
  assert.match(got!.reason!, /a link is in the way/);
  assert.deepEqual(await readdir(victim), []);
});

test("a read-only folder is copied read-only, after what it holds; the next put still updates it", async () => {
  const tree = join(dir, "ro-tree");
  await rm(tree, { recursive: true, force: true });
  await mkdir(join(tree, "sub"), { recursive: true });
  await writeFile(join(tree, "sub", "f"), "1");
  await chmod(join(tree, "sub"), 0o555);
  const target = join(await remoteDir("ro-copy"), "tree");
  await using fleet = new Fleet(sshdHosts(sshd, 1, 22), base);
  const [first] = await fleet.put(tree, target, { recursive: true }).results();
  assert.equal(first!.state, "ok", JSON.stringify(first));
  assert.equal((await stat(join(target, "sub"))).mode & 0o777, 0o555);
  assert.equal(await readFile(join(target, "sub", "f"), "utf8"), "1");
  await chmod(join(tree, "sub"), 0o755);
  await writeFile(join(tree, "sub", "f"), "22");
  await chmod(join(tree, "sub"), 0o555);
  const [second] = await fleet.put(tree, target, { recursive: true }).results();
  assert.equal(second!.state, "ok", JSON.stringify(second));
  assert.equal(await readFile(join(target, "sub", "f"), "utf8"), "22");
  assert.equal((await stat(join(target, "sub"))).mode & 0o777, 0o555);
});

test("a local file put cannot read fails the run before any host, saying which and why, in the library's terms", async () => {
  const fleet = new Fleet(sshdHosts(sshd, 1), base);
  try {
    await assert.rejects(fleet.put(join(dir, "nope", "x"), "/tmp/x").results(), (e: NodeJS.ErrnoException) => {
      // Before: Node's "ENOENT: no such file or directory, stat '…'", from inside the run.
      assert.equal(e.message, `Cannot put ${join(dir, "nope", "x")}: no such file or folder`);
      assert.equal(e.code, "ENOENT");
      assert.equal(e.path, join(dir, "nope", "x"));
      return true;
    });
    // Before: "(use -r)", the command's flag.
    await assert.rejects(fleet.put(dir, "/tmp/x").results(), { name: "RangeError", message: `Cannot put ${dir}: it is a folder (copy it recursively: -r, or the recursive option)` });
  } finally {
    await fleet.close();
  }
});
