/**
 * known_hosts and host-key policies: files round-trip byte for byte, every policy does what it says,
 * and a changed key is refused whatever the policy.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  AcceptNewPolicy,
  AutoAddPolicy,
  BadHostKeyError,
  HostKeys,
  PKey,
  RejectPolicy,
  SSHClient,
  SSHException,
  WarningPolicy,
  hostKeyName,
} from "../../src/ssh/index.js";
import type { ConnectOptions, MissingHostKeyPolicy } from "../../src/ssh/index.js";
import { fingerprintOf, sshKeygen, startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;
let otherKey: PKey;

before(async () => {
  sshd = await startSshd({ hostKeyTypes: ["ed25519", "ecdsa"] });
  otherKey = PKey.generateKey("ed25519");
});
after(() => sshd?.stop());

function options(): ConnectOptions {
  return { hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false };
}

async function connectWith(setup: (client: SSHClient) => void | Promise<void>): Promise<SSHClient> {
  const client = new SSHClient();
  await setup(client);
  try {
    await client.connect(options());
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

const name = () => hostKeyName(sshd.host, sshd.port);

test("RejectPolicy is the default: an unknown host is refused", async () => {
  await assert.rejects(
    connectWith(() => {}),
    (error: unknown) => error instanceof SSHException && error.message.includes(`Server '${name()}' not found in known_hosts`),
  );
});

test("a known host connects under RejectPolicy (plain and hashed entries)", async () => {
  const file = path.join(sshd.dir, "known_plain");
  await writeFile(file, `${sshd.knownHostsLine}\n`);
  const plain = await connectWith((c) => c.loadHostKeys(file));
  await plain.close();
  const hashed = path.join(sshd.dir, "known_hashed");
  await writeFile(hashed, `${HostKeys.hashHost(name())} ${sshd.hostPublicKeys[0]}\n`);
  const viaHash = await connectWith((c) => c.loadSystemHostKeys(hashed));
  await viaHash.close();
});

test("several keys per host: whichever type known_hosts holds is negotiated", async () => {
  for (const publicKey of sshd.hostPublicKeys) {
    const file = path.join(sshd.dir, `known_${publicKey.split(" ")[0]}`);
    await writeFile(file, `${name()} ${publicKey}\n`);
    const client = await connectWith((c) => c.loadHostKeys(file));
    assert.equal(client.getTransport()!.getRemoteServerKey().toString(), publicKey);
    await client.close();
  }
});

test("AutoAddPolicy adds the key and saves it to the loadHostKeys file", async () => {
  const file = path.join(sshd.dir, "known_autoadd");
  await writeFile(file, "# my hosts\n");
  const client = await connectWith(async (c) => {
    await c.loadHostKeys(file);
    c.setMissingHostKeyPolicy(AutoAddPolicy);
  });
  const key = client.getTransport()!.getRemoteServerKey();
  assert.ok(client.getHostKeys().check(name(), key));
  await client.close();
  assert.equal(await readFile(file, "utf8"), `# my hosts\n${name()} ${key.toString()}\n`);
});

test("AcceptNewPolicy writes the key; WarningPolicy warns and does not remember", async () => {
  const file = path.join(sshd.dir, "known_acceptnew");
  await writeFile(file, "");
  const client = await connectWith(async (c) => {
    await c.loadHostKeys(file);
    c.setMissingHostKeyPolicy(new AcceptNewPolicy());
  });
  await client.close();
  assert.match(await readFile(file, "utf8"), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} `));

  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on("warning", onWarning);
  try {
    const warned = await connectWith((c) => c.setMissingHostKeyPolicy(new WarningPolicy()));
    assert.equal(warned.getHostKeys().size, 0);
    await warned.close();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  assert.ok(warnings.some((w) => w.includes(name())), String(warnings));
});

test("a custom policy sees the host name and key, and can refuse", async () => {
  const seen: string[] = [];
  const policy: MissingHostKeyPolicy = {
    missingHostKey(_client, hostname, key) {
      seen.push(`${hostname} ${key.fingerprint}`);
      throw new Error("not today");
    },
  };
  await assert.rejects(connectWith((c) => c.setMissingHostKeyPolicy(policy)), /not today/);
  assert.equal(seen.length, 1);
  assert.ok(seen[0]!.startsWith(name()));
});

test("a changed host key is refused with BadHostKeyError whatever the policy", async () => {
  const file = path.join(sshd.dir, "known_changed");
  await writeFile(file, `${name()} ${otherKey.toString()}\n`);
  for (const policy of [new RejectPolicy(), new AutoAddPolicy(), new WarningPolicy(), new AcceptNewPolicy()]) {
    await assert.rejects(
      connectWith(async (c) => {
        await c.loadHostKeys(file);
        c.setMissingHostKeyPolicy(policy);
      }),
      (error: unknown) => {
        assert.ok(error instanceof BadHostKeyError, `${policy.constructor.name}: ${String(error)}`);
        assert.equal(error.hostname, name());
        assert.equal(error.expectedKey.fingerprint, otherKey.fingerprint);
        assert.ok(sshd.hostPublicKeys.map(fingerprintOf).includes(error.key.fingerprint));
        assert.ok(error.message.includes(name()) && error.message.includes(otherKey.fingerprint) && error.message.includes(error.key.fingerprint));
        return true;
      },
    );
  }
  assert.equal(await readFile(file, "utf8"), `${name()} ${otherKey.toString()}\n`, "known_hosts must not change");
});

test("a @revoked key is refused", async () => {
  const file = path.join(sshd.dir, "known_revoked");
  await writeFile(file, sshd.hostPublicKeys.map((k) => `@revoked * ${k}\n${name()} ${k}`).join("\n") + "\n");
  await assert.rejects(connectWith((c) => c.loadHostKeys(file)), /revoked/);
});

const SAMPLE = [
  "# known hosts, kept as written",
  "",
  `example.com,192.0.2.1 ${PKey.generateKey("ed25519").toString()} a comment`,
  `[example.com]:2222 ${PKey.generateKey("ecdsa").toString()}`,
  `example.com ${PKey.generateKey("ecdsa").toString()}`,
  `${HostKeys.hashHost("hashed.example")} ${PKey.generateKey("ed25519").toString()}`,
  `@cert-authority *.example.com ${PKey.generateKey("ed25519").toString()} ca`,
  `@revoked * ${PKey.generateKey("ed25519").toString()}`,
  `*.wild.example,!bad.wild.example ${PKey.generateKey("ed25519").toString()}`,
  "   # indented comment\twith tab  ",
  "example.org ssh-unknown-type AAAAB3NzaC1yc2EAAAADAQABAAABAQ== future key type",
].join("\n");

test("known_hosts: load and save is byte for byte (with and without a final newline)", async () => {
  for (const text of [`${SAMPLE}\n`, SAMPLE, `${SAMPLE}\r\n`]) {
    const file = path.join(sshd.dir, "roundtrip");
    await writeFile(file, text);
    const keys = await HostKeys.fromFile(file);
    await keys.save(file);
    assert.equal(await readFile(file, "utf8"), text);
  }
});

test("known_hosts: lookups by plain, [host]:port, hashed and wildcard names; negation", async () => {
  const keys = new HostKeys();
  keys.parse(SAMPLE);
  assert.deepEqual([...keys.lookup("example.com")!.keys()].sort(), ["ecdsa-sha2-nistp256", "ssh-ed25519"]);
  assert.deepEqual([...keys.lookup("[example.com]:2222")!.keys()], ["ecdsa-sha2-nistp256"]);
  assert.equal(keys.lookup("192.0.2.1")!.size, 1);
  assert.equal(keys.lookup("hashed.example")!.size, 1);
  assert.equal(keys.lookup("a.wild.example")!.size, 1);
  assert.equal(keys.lookup("bad.wild.example"), undefined);
  assert.equal(keys.lookup("a.example.com"), undefined, "@cert-authority lines are not host keys");
  assert.equal(keys.lookup("nowhere"), undefined);
});

test("known_hosts: add replaces a key of the same type in place and appends new hosts", async () => {
  const keys = new HostKeys();
  keys.parse(`${SAMPLE}\n`);
  const replacement = PKey.generateKey("ecdsa");
  keys.add("[example.com]:2222", replacement.getName(), replacement);
  const fresh = PKey.generateKey("ed25519");
  keys.add("new.example", fresh.getName(), fresh);
  const lines = keys.toString().split("\n");
  const original = SAMPLE.split("\n");
  assert.equal(lines[3], `[example.com]:2222 ${replacement.toString()}`);
  assert.deepEqual(lines.filter((_, i) => i !== 3).slice(0, original.length - 1), original.filter((_, i) => i !== 3));
  assert.equal(lines.at(-2), `new.example ${fresh.toString()}`);
  assert.ok(keys.check("new.example", fresh));
  // keys() and values() pair up, as a dict's keys and values.
  const names = keys.keys();
  const values = keys.values();
  assert.equal(values.length, names.length);
  assert.equal(values[names.indexOf("new.example")]?.get(fresh.getName())?.fingerprint, fresh.fingerprint);
});

test("hashHost agrees with ssh-keygen -F", async () => {
  const file = path.join(sshd.dir, "known_keygen");
  const key = PKey.generateKey("ed25519");
  await writeFile(file, `${HostKeys.hashHost("[host.example]:2200")} ${key.toString()}\n`);
  const found = await sshKeygen(["-F", "[host.example]:2200", "-f", file]);
  assert.ok(found.includes(key.getBase64()), found);
  // And the other way: a file hashed by ssh-keygen -H is read by shoal.
  const plain = path.join(sshd.dir, "known_tohash");
  await writeFile(plain, `other.example ${key.toString()}\n`);
  await sshKeygen(["-H", "-f", plain]);
  const keys = await HostKeys.fromFile(plain);
  assert.ok((await readFile(plain, "utf8")).startsWith("|1|"));
  assert.ok(keys.check("other.example", key));
});

test("a known_hosts file named but missing is an error, as in paramiko; the default one may be missing", async (t) => {
  const missing = path.join(sshd.dir, "no-such-known-hosts");
  const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === "ENOENT" && String((error as Error).message).includes(missing);
  await assert.rejects(new SSHClient().loadHostKeys(missing), isMissing);
  await assert.rejects(new SSHClient().loadSystemHostKeys(missing), isMissing);
  await assert.rejects(HostKeys.fromFile(missing), isMissing);
  await assert.rejects(new HostKeys().load(missing), isMissing);
  // A failed loadHostKeys leaves no file to save new keys to.
  const client = new SSHClient();
  await client.loadHostKeys(missing).catch(() => undefined);
  assert.equal(client.hostKeysFilename, undefined);
  const home = process.env.HOME;
  t.after(() => {
    process.env.HOME = home;
  });
  process.env.HOME = sshd.dir; // no .ssh/known_hosts there
  await new SSHClient().loadSystemHostKeys();
});

test("~/ in key and known_hosts file names is the home folder (PKey.fromPath, HostKeys, loadHostKeys)", async (t) => {
  const home = process.env.HOME;
  t.after(() => {
    process.env.HOME = home;
  });
  process.env.HOME = sshd.dir; // never the real ~/.ssh
  await mkdir(path.join(sshd.dir, ".ssh"), { recursive: true });
  await writeFile(path.join(sshd.dir, ".ssh", "id_ed25519"), await readFile(sshd.keyPath));
  const key = await PKey.fromPath("~/.ssh/id_ed25519");
  assert.equal(key.fingerprint, (await PKey.fromPrivateKeyFile(sshd.keyPath)).fingerprint);
  assert.equal((await PKey.fromPrivateKeyFile("~/.ssh/id_ed25519")).fingerprint, key.fingerprint);

  await writeFile(path.join(sshd.dir, ".ssh", "known_hosts"), sshd.knownHostsLine + "\n");
  assert.ok((await HostKeys.fromFile("~/.ssh/known_hosts")).lookup(name()));
  const client = await connectWith((c) => c.loadHostKeys("~/.ssh/known_hosts"));
  await client.close();
  assert.equal(client.hostKeysFilename, path.join(sshd.dir, ".ssh", "known_hosts"));
  const saved = new HostKeys();
  saved.add("added.example", key.getName(), key);
  await saved.save("~/.ssh/saved_known_hosts");
  assert.ok((await readFile(path.join(sshd.dir, ".ssh", "saved_known_hosts"), "utf8")).startsWith("added.example "));
});
