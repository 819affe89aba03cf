import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KnownHosts, fingerprintOf, keyTypeOf, knownHostsName } from "../../src/fleet/known-hosts.js";

/** An ssh-ed25519 public key blob. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const type = Buffer.from("ssh-ed25519");
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(type.length), type, len(raw.length), raw]);
}

test("plain, [host]:port, wildcard and hashed entries match; other keys of the type are 'changed'", () => {
  const a = ed25519Blob();
  const b = ed25519Blob();
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update("[10.0.0.9]:2222").digest("base64")}`;
  const kh = new KnownHosts("/nonexistent");
  kh.addText(
    [
      `# comment`,
      `web1,web2 ssh-ed25519 ${a.toString("base64")}`,
      `[127.0.1.*]:2200,![127.0.1.9]:2200 ssh-ed25519 ${a.toString("base64")}`,
      `${hashed} ssh-ed25519 ${b.toString("base64")}`,
      `@revoked bad ssh-ed25519 ${b.toString("base64")}`,
    ].join("\n"),
  );
  assert.equal(knownHostsName("web1", 22), "web1");
  assert.equal(knownHostsName("h", 2200), "[h]:2200");
  assert.equal(kh.check("web2", a), "known");
  assert.equal(kh.check("web2", b), "changed");
  assert.equal(kh.check("web3", a), "unknown");
  assert.equal(kh.check("[127.0.1.44]:2200", a), "known");
  assert.equal(kh.check("[127.0.1.9]:2200", a), "unknown");
  assert.equal(kh.check("[127.0.1.44]:22", a), "unknown");
  assert.equal(kh.check("[10.0.0.9]:2222", b), "known");
  assert.equal(kh.check("bad", b), "revoked");
  assert.equal(keyTypeOf(a), "ssh-ed25519");
  assert.match(fingerprintOf(a), /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test("accept-new trusts for the run and appends once at the end", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-kh-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "sub", "known_hosts");
  const kh = await KnownHosts.load([path]);
  const a = ed25519Blob();
  assert.equal(kh.check("[h]:2200", a), "unknown");
  kh.accept("[h]:2200", a);
  assert.equal(kh.check("[h]:2200", a), "known");
  assert.equal(await kh.saveAccepted(), 1);
  assert.equal(await kh.saveAccepted(), 0);
  assert.equal(await readFile(path, "utf8"), `[h]:2200 ssh-ed25519 ${a.toString("base64")}\n`);
  const again = await KnownHosts.load([path]);
  assert.equal(again.check("[h]:2200", a), "known");
});

test("accept-new appends on a line of its own when the file does not end with a newline", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-kh-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "known_hosts");
  const other = ed25519Blob();
  await writeFile(path, `other.example ssh-ed25519 ${other.toString("base64")}`);
  const kh = await KnownHosts.load([path]);
  const a = ed25519Blob();
  kh.accept("[h]:2200", a);
  assert.equal(await kh.saveAccepted(), 1);
  assert.equal(await readFile(path, "utf8"), `other.example ssh-ed25519 ${other.toString("base64")}\n[h]:2200 ssh-ed25519 ${a.toString("base64")}\n`);
  const again = await KnownHosts.load([path]);
  assert.equal(again.check("[h]:2200", a), "known");
  assert.equal(again.check("other.example", other), "known");
});

test("names match case-insensitively and a @revoked line revokes the key for the hosts it names only, as OpenSSH reads them", () => {
  const a = ed25519Blob();
  const kh = new KnownHosts("/nonexistent");
  kh.addText([`WEB1.Example.COM ssh-ed25519 ${a.toString("base64")}`, `@revoked db* ssh-ed25519 ${a.toString("base64")}`].join("\n"));
  assert.equal(kh.check("web1.example.com", a), "known");
  assert.equal(kh.expectedKey("web1.example.com"), `ssh-ed25519 ${a.toString("base64")}`);
  assert.equal(kh.check("db1", a), "revoked");
  assert.equal(kh.expectedKey("db1"), undefined);
});
