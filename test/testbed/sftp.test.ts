import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileEntry, Stats } from "ssh2";
import { Readable } from "node:stream";
import { OpUnsupported, SFTPClient, SFTP_STATUS, Transport } from "../../src/ssh/index.js";
import { startTestbed } from "../../src/testbed/index.js";
import { call, connectTo, exec, sftpOf } from "./helpers.js";

test("SFTP put and get round trip inside the host's directory", async (t) => {
  const testbed = await startTestbed({ hosts: 2 });
  const local = await mkdtemp(join(tmpdir(), "shoal-sftp-test-"));
  t.after(async () => {
    await testbed.stop();
    await rm(local, { recursive: true, force: true });
  });
  const data = randomBytes(3 * 1024 * 1024 + 17);
  await writeFile(join(local, "blob"), data);
  for (const host of testbed.hosts) {
    const client = await connectTo(testbed, host);
    try {
      const sftp = await sftpOf(client);
      const home = await call<string>((cb) => sftp.realpath(".", cb));
      assert.equal(home, host.dir);
      await call((cb) => sftp.fastPut(join(local, "blob"), "blob", (err) => cb(err, undefined)));
      assert.deepEqual(await readFile(join(host.dir, "blob")), data);
      await call((cb) => sftp.fastGet("blob", join(local, `back-${host.name}`), (err) => cb(err, undefined)));
      assert.deepEqual(await readFile(join(local, `back-${host.name}`)), data);
      const stats = await call<Stats>((cb) => sftp.stat("blob", cb));
      assert.equal(stats.size, data.length);
      // The command side sees the same file.
      assert.equal((await exec(client, "wc -c < blob")).stdout.trim(), String(data.length));
    } finally {
      client.end();
    }
  }
});

test("SFTP supports atomic replace, trees, attributes, links, and refuses paths outside the host", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const host = testbed.hosts[0]!;
  const client = await connectTo(testbed, host);
  t.after(() => client.end());
  const sftp = await sftpOf(client);

  // Write under a temporary name, then rename over the old file.
  await call((cb) => sftp.writeFile("conf", "old\n", (err) => cb(err, undefined)));
  await call((cb) => sftp.writeFile(".conf.tmp", "new\n", (err) => cb(err, undefined)));
  await call((cb) => sftp.rename(".conf.tmp", "conf", (err) => cb(err, undefined)));
  assert.equal(await readFile(join(host.dir, "conf"), "utf8"), "new\n");

  // A tree: mkdir, nested files, readdir, then remove it all.
  await call((cb) => sftp.mkdir("tree", (err) => cb(err, undefined)));
  await call((cb) => sftp.mkdir("tree/sub", (err) => cb(err, undefined)));
  await call((cb) => sftp.writeFile("tree/a.txt", "a", (err) => cb(err, undefined)));
  await call((cb) => sftp.writeFile("tree/sub/b.txt", "b", (err) => cb(err, undefined)));
  const listing = await call<FileEntry[]>((cb) => sftp.readdir("tree", cb));
  assert.deepEqual(listing.map((e) => e.filename).sort(), ["a.txt", "sub"]);
  assert.ok(listing.find((e) => e.filename === "sub")!.longname.startsWith("d"));
  assert.deepEqual((await readdir(join(host.dir, "tree", "sub"))).sort(), ["b.txt"]);

  // Attributes: mode and times survive, as put -p needs.
  await call((cb) => sftp.chmod("tree/a.txt", 0o640, (err) => cb(err, undefined)));
  await call((cb) => sftp.utimes("tree/a.txt", 1_000_000, 1_000_000, (err) => cb(err, undefined)));
  const stats = await call<Stats>((cb) => sftp.stat("tree/a.txt", cb));
  assert.equal(stats.mode & 0o777, 0o640);
  assert.equal(stats.mtime, 1_000_000);

  // Links.
  await call((cb) => sftp.symlink("a.txt", "tree/link", (err) => cb(err, undefined)));
  assert.equal(await call<string>((cb) => sftp.readlink("tree/link", cb)), "a.txt");
  assert.ok((await call<Stats>((cb) => sftp.lstat("tree/link", cb))).isSymbolicLink());

  await call((cb) => sftp.unlink("tree/link", (err) => cb(err, undefined)));
  await call((cb) => sftp.unlink("tree/sub/b.txt", (err) => cb(err, undefined)));
  await call((cb) => sftp.rmdir("tree/sub", (err) => cb(err, undefined)));
  await call((cb) => sftp.unlink("tree/a.txt", (err) => cb(err, undefined)));
  await call((cb) => sftp.rmdir("tree", (err) => cb(err, undefined)));
  assert.deepEqual((await readdir(host.dir)).sort(), ["conf"]);

  // Missing files and paths outside the host directory.
  await assert.rejects(call((cb) => sftp.stat("missing", cb)), { code: 2 });
  await assert.rejects(call((cb) => sftp.stat("/etc/passwd", cb)), { code: 3 });
  await assert.rejects(call((cb) => sftp.writeFile("../escape", "x", (err) => cb(err, undefined))), { code: 3 });
});

test("shoal's SFTPClient replaces a file on a server without posix-rename, where posixRename rejects OpUnsupported", async (t) => {
  const testbed = await startTestbed({ hosts: 1 });
  t.after(() => testbed.stop());
  const host = testbed.hosts[0]!;
  // The testbed is ssh2's server, which advertises no SFTP extension.
  await using transport = new Transport([host.address, host.port]);
  await transport.connect({ username: host.user, password: host.password });
  await using sftp = await SFTPClient.fromTransport(transport);
  await sftp.putfo(Readable.from([Buffer.from("old\n")]), "conf");
  await sftp.putfo(Readable.from([Buffer.from("new\n")]), "conf");
  assert.equal(await readFile(join(host.dir, "conf"), "utf8"), "new\n");
  assert.deepEqual((await readdir(host.dir)).filter((name) => name.includes("conf")), ["conf"]);
  await assert.rejects(sftp.posixRename("conf", "other"), (error: unknown) => {
    assert.ok(error instanceof OpUnsupported, String(error));
    assert.equal(error.sftpCode, SFTP_STATUS.FX_OP_UNSUPPORTED);
    assert.match(error.message, /posixRename/);
    return true;
  });
  assert.equal(await readFile(join(host.dir, "conf"), "utf8"), "new\n");
});
