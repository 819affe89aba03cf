/**
 * Authentication against OpenSSH's sshd: password, keys of every type and format (encrypted too),
 * ssh-agent, and the AuthenticationError that says what was tried and what the server allows.
 */
import assert from "node:assert/strict";
import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { Agent, AuthenticationError, AutoAddPolicy, PKey, PasswordRequiredException, SSHClient } from "../../src/ssh/index.js";
import type { ConnectOptions } from "../../src/ssh/index.js";
import { sshKeygen, startSshd } from "../fixtures/sshd.js";
import { startSshAgent } from "../fixtures/ssh-agent.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;
const keys: Record<string, string> = {};

before(async () => {
  sshd = await startSshd();
  // Every key type and format, authorized for the test user.
  const specs: Array<[string, string[]]> = [
    ["ed25519", ["-t", "ed25519"]],
    ["ecdsa", ["-t", "ecdsa", "-b", "256"]],
    ["ecdsa-pem", ["-t", "ecdsa", "-b", "384", "-m", "PEM"]],
    ["rsa", ["-t", "rsa", "-b", "2048"]],
    ["rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
    ["ed25519-encrypted", ["-t", "ed25519", "-N", "s3cret"]],
    ["rsa-pem-encrypted", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "s3cret"]],
    ["unauthorized", ["-t", "ed25519"]],
  ];
  await Promise.all(
    specs.map(async ([name, args]) => {
      const file = path.join(sshd.dir, `key-${name}`);
      await sshKeygen(["-q", ...(args.includes("-N") ? [] : ["-N", ""]), "-C", name, "-f", file, ...args]);
      keys[name] = file;
    }),
  );
  for (const [name, file] of Object.entries(keys)) {
    if (name !== "unauthorized") await appendFile(sshd.authorizedKeysPath, await readFile(`${file}.pub`));
  }
});
after(() => sshd?.stop());

function base(): ConnectOptions {
  return { hostname: sshd.host, port: sshd.port, username: sshd.user, allowAgent: false, lookForKeys: false };
}

async function whoami(options: ConnectOptions): Promise<string> {
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect(options);
  return (await client.run("id -un")).stdout.trim();
}

test("password authentication", async () => {
  assert.equal(await whoami({ ...base(), password: sshd.password }), sshd.user);
});

for (const name of ["ed25519", "ecdsa", "ecdsa-pem", "rsa", "rsa-pem"]) {
  test(`key authentication: ${name} key file`, async () => {
    assert.equal(await whoami({ ...base(), keyFilename: keys[name]! }), sshd.user);
  });
}

test("encrypted keys open with the passphrase (OpenSSH and PEM formats)", async () => {
  assert.equal(await whoami({ ...base(), keyFilename: keys["ed25519-encrypted"]!, passphrase: "s3cret" }), sshd.user);
  assert.equal(await whoami({ ...base(), keyFilename: keys["rsa-pem-encrypted"]!, passphrase: "s3cret" }), sshd.user);
  // paramiko's fallback: the password doubles as the passphrase.
  assert.equal(await whoami({ ...base(), keyFilename: keys["ed25519-encrypted"]!, password: "s3cret" }), sshd.user);
});

test("an encrypted key without passphrase rejects PasswordRequiredException", async () => {
  await assert.rejects(PKey.fromPrivateKeyFile(keys["ed25519-encrypted"]!), PasswordRequiredException);
  await assert.rejects(whoami({ ...base(), keyFilename: keys["ed25519-encrypted"]! }), PasswordRequiredException);
});

test("pkey: a loaded key object; its fingerprint matches ssh-keygen", async () => {
  const key = await PKey.fromPrivateKeyFile(keys["ecdsa"]!);
  assert.equal(key.getName(), "ecdsa-sha2-nistp256");
  assert.equal(key.getBits(), 256);
  const printed = await sshKeygen(["-l", "-E", "sha256", "-f", `${keys["ecdsa"]}.pub`]);
  assert.ok(printed.includes(key.fingerprint), `${printed} should contain ${key.fingerprint}`);
  assert.equal(await whoami({ ...base(), pkey: key }), sshd.user);
});

test("ssh-agent: keys held by a real ssh-agent", async (t) => {
  const socket = path.join(sshd.dir, "agent.sock");
  await startSshAgent(t, socket, [keys["rsa"]!]);
  assert.equal(await whoami({ ...base(), allowAgent: true, agent: socket }), sshd.user);
  // An agent's key signs through the agent, asynchronously; the synchronous call says so.
  const [held] = await new Agent(socket).getKeys();
  assert.ok(held!.canSign());
  assert.throws(() => held!.signSshData(Buffer.from("data")), /use await key\.signWithAgent/);
  assert.ok(held!.verifySshSig(Buffer.from("data"), await held!.signWithAgent(Buffer.from("data"), "sha256")));
});

test("agentForward: the command on the server reaches the local agent (ssh -A); without it, no agent there", async (t) => {
  const socket = path.join(sshd.dir, "forwarded-agent.sock");
  await startSshAgent(t, socket, [keys["ed25519"]!]);
  const fingerprint = (await sshKeygen(["-l", "-f", `${keys["ed25519"]}.pub`])).split(" ")[1]!;
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ ...base(), keyFilename: keys["ed25519"]!, agent: socket });
  // Without forwarding, ssh-add finds no agent on the server (exit status 2).
  const alone = await client.run("ssh-add -l");
  assert.equal(alone.exitStatus, 2, alone.stderr);
  const forwarded = await client.run("ssh-add -l", { agentForward: true });
  assert.equal(forwarded.exitStatus, 0, forwarded.stderr);
  assert.ok(forwarded.stdout.includes(fingerprint), forwarded.stdout);
  // The same through a Channel, as paramiko's request_forward_agent.
  const channel = await client.getTransport()!.openSession();
  await channel.requestForwardAgent(socket);
  await channel.execCommand("ssh-add -l >/dev/null && echo agent-ok");
  assert.equal((await channel.makefile().read()).toString().trim(), "agent-ok");
  const without = await client.getTransport()!.openSession();
  await assert.rejects(without.requestForwardAgent(""), /SSH_AUTH_SOCK is not set and no agent was given/);
  without.close();
  // An interactive shell too.
  const shell = await client.invokeShell({ agentForward: true });
  shell.send("ssh-add -l >/dev/null && echo shell-agent-ok; exit\n");
  let screen = "";
  for (let chunk = await shell.recv(4096); chunk.length > 0; chunk = await shell.recv(4096)) screen += chunk.toString();
  assert.match(screen, /shell-agent-ok\r?$/m, "the output line, not the echoed command");
});

test("agentForward against a server that does not allow it: SSHException, saying so", async (t) => {
  const strict = await startSshd({ extraConfig: ["AllowAgentForwarding no"] });
  t.after(() => strict.stop());
  const socket = path.join(strict.dir, "agent.sock");
  await startSshAgent(t, socket, [keys["ed25519"]!]);
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ hostname: strict.host, port: strict.port, username: strict.user, password: strict.password, allowAgent: false, lookForKeys: false, agent: socket });
  await assert.rejects(client.run("true", { agentForward: true }), /agent forwarding: the server refused it/);
  assert.equal((await client.run("echo still-usable")).stdout, "still-usable\n");
});

test("AuthenticationError lists the methods tried and those the server allows", async () => {
  await assert.rejects(whoami({ ...base(), keyFilename: keys["unauthorized"]!, password: "wrong" }), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.deepEqual(error.methodsTried, [`publickey (${keys["unauthorized"]})`, "password"]);
    assert.ok(error.allowedMethods.includes("publickey") && error.allowedMethods.includes("password"), String(error.allowedMethods));
    assert.equal(error.username, sshd.user);
    assert.match(error.message, /tried publickey .*, password; the server allows .*publickey.*password/);
    return true;
  });
});

test("AuthenticationError when there is nothing to try", async () => {
  await assert.rejects(whoami(base()), (error: unknown) => error instanceof AuthenticationError && /no method to try/.test(error.message));
});

test("keys: generate, write as encrypted PEM, load back", async () => {
  const { ECDSAKey, RSAKey } = await import("../../src/ssh/index.js");
  for (const key of [await ECDSAKey.generate(384), await RSAKey.generate(2048)]) {
    const file = path.join(sshd.dir, `written-${key.getName()}`);
    await key.writePrivateKeyFile(file, { fileFormat: "pem", password: "pw" });
    await assert.rejects(PKey.fromPrivateKeyFile(file), PasswordRequiredException);
    const loaded = await PKey.fromPrivateKeyFile(file, { passphrase: "pw" });
    assert.equal(loaded.fingerprint, key.fingerprint);
    assert.ok(loaded.verifySshSig(Buffer.from("data"), key.signSshData(Buffer.from("data"))));
  }
});

test("keys: any key writes in OpenSSH's format with a password, read back by ssh-keygen and by login; Ed25519 as PEM is refused", async () => {
  const { ECDSAKey, Ed25519Key, RSAKey } = await import("../../src/ssh/index.js");
  const loadedEncrypted = await PKey.fromPrivateKeyFile(keys["ed25519-encrypted"]!, { passphrase: "s3cret" });
  const loadedPem = await PKey.fromPrivateKeyFile(keys["rsa-pem"]!);
  const written = [await Ed25519Key.generate(), await ECDSAKey.generate(384), await RSAKey.generate(2048), loadedEncrypted, loadedPem];
  for (const [index, key] of written.entries()) {
    const file = path.join(sshd.dir, `written-openssh-${index}`);
    await key.writePrivateKeyFile(file, { password: "pw" });
    assert.match(await readFile(file, "utf8"), /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    await assert.rejects(PKey.fromPrivateKeyFile(file), PasswordRequiredException);
    assert.equal((await PKey.fromPrivateKeyFile(file, { passphrase: "pw" })).fingerprint, key.fingerprint);
    assert.equal((await sshKeygen(["-y", "-P", "pw", "-f", file])).trim().split(" ").slice(0, 2).join(" "), key.toString());
    await assert.rejects(sshKeygen(["-y", "-P", "wrong", "-f", file]), /incorrect passphrase/);
    // Without a password it is written in the clear, whatever it was read from (as paramiko writes it).
    await key.writePrivateKeyFile(file);
    assert.equal((await sshKeygen(["-y", "-P", "", "-f", file])).trim().split(" ").slice(0, 2).join(" "), key.toString());
  }
  await appendFile(sshd.authorizedKeysPath, `${loadedEncrypted.toString()}\n`);
  const rewritten = path.join(sshd.dir, "written-login-ed25519");
  await loadedEncrypted.writePrivateKeyFile(rewritten, { password: "new" });
  assert.equal(await whoami({ ...base(), keyFilename: rewritten, passphrase: "new" }), sshd.user);
  assert.throws(() => loadedEncrypted.privateKeyText({ fileFormat: "pem" }), /Ed25519 key as PEM/);
});

test("keys: ECDSAKey.generate takes the curve by size or by name, and refuses others", async () => {
  const { ECDSAKey } = await import("../../src/ssh/index.js");
  assert.equal((await ECDSAKey.generate("nistp384")).getName(), "ecdsa-sha2-nistp384");
  assert.equal((await ECDSAKey.generate("secp256r1")).getName(), "ecdsa-sha2-nistp256");
  assert.equal((await ECDSAKey.generate(521)).getName(), "ecdsa-sha2-nistp521");
  await assert.rejects(ECDSAKey.generate("nistp224"), /curve must be 256, 384 or 521/);
  await assert.rejects(ECDSAKey.generate(300 as 256), /got 300/);
});

test("keys: every generated ed25519 key parses (ssh2 alone writes 1 in 256 with its public key cut short)", async () => {
  const { Ed25519Key } = await import("../../src/ssh/index.js");
  // 2,000 draws: with ssh2's flaw unchecked, the chance that none is cut short is 1 in 2,500.
  const fingerprints = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const key = await Ed25519Key.generate();
    assert.equal(key.asBytes().readUInt32BE(15), 32, "the public key is 32 bytes");
    fingerprints.add(key.fingerprint);
  }
  assert.equal(fingerprints.size, 2000);
});
