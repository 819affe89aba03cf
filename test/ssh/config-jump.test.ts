/**
 * SSHConfig (parsing, lookup) and jump hosts: ProxyJump through a second sshd, chains of hops, and
 * `connect({ sshConfig })` applying a whole ~/.ssh/config-style file.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { AutoAddPolicy, SSHClient, SSHConfig, Transport } from "../../src/ssh/index.js";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";

let bastion: Sshd;
let target: Sshd;

before(async () => {
  [bastion, target] = await Promise.all([startSshd(), startSshd()]);
  // One key for both: the target authorizes the bastion's fixture key too.
  await writeFile(target.authorizedKeysPath, await readFile(`${bastion.keyPath}.pub`));
});
after(async () => {
  await bastion?.stop();
  await target?.stop();
});

test("SSHConfig: Host patterns and negation, first value wins, lists, tokens", () => {
  const config = SSHConfig.fromText(
    [
      "# global",
      "User everyone",
      "Host web-* !web-secret",
      "  HostName %h.example.com",
      "  Port 2222",
      "  IdentityFile ~/.ssh/web_%r",
      "Host web-1",
      "  Port 9999",
      "  User ops",
      "  IdentityFile /keys/second",
      "Host *",
      "  ServerAliveInterval 15",
      "  Compression yes",
      "  ControlPath /tmp/%r@%h:%p",
    ].join("\n"),
  );
  const web1 = config.lookup("web-1");
  assert.equal(web1.getString("hostname"), "web-1.example.com");
  assert.equal(web1.asInt("port"), 2222, "the first value wins");
  assert.equal(web1.getString("user"), "everyone", "lines before any Host apply to all");
  assert.deepEqual(web1.getList("identityfile"), [path.join(os.homedir(), ".ssh/web_everyone"), "/keys/second"]);
  assert.equal(web1.asInt("serveraliveinterval"), 15);
  assert.equal(web1.asBool("compression"), true);
  assert.equal(web1.getString("controlpath"), "/tmp/everyone@web-1.example.com:2222");
  const secret = config.lookup("web-secret");
  assert.equal(secret.getString("hostname"), "web-secret", "negated pattern: the block does not apply");
  assert.equal(secret.getString("port"), undefined);
  assert.deepEqual([...config.getHostnames()].sort(), ["!web-secret", "*", "web-*", "web-1"].sort());
});

test("SSHConfig: Include (relative to the config's folder, with globs) and Match", async () => {
  const dir = bastion.dir;
  await writeFile(path.join(dir, "inc-a.conf"), "Host included\n  Port 1111\n");
  await writeFile(path.join(dir, "inc-b.conf"), "Host included\n  User from-b\n");
  await writeFile(path.join(dir, "config"), ["Include inc-*.conf", "Match host db*", "  User dbadmin", "Match all", "  Port 22"].join("\n"));
  const config = await SSHConfig.fromPath(path.join(dir, "config"));
  assert.equal(config.lookup("included").getString("port"), "1111");
  assert.equal(config.lookup("included").getString("user"), "from-b");
  assert.equal(config.lookup("db1").getString("user"), "dbadmin");
  assert.equal(config.lookup("other").getString("port"), "22");
});

function base() {
  return { username: bastion.user, keyFilename: bastion.keyPath, allowAgent: false, lookForKeys: false };
}

test("proxyJump: user@bastion:port reaches the target through the bastion", async () => {
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ ...base(), hostname: target.host, port: target.port, proxyJump: `${bastion.user}@${bastion.host}:${bastion.port}` });
  assert.equal(client.getTransport()!.getRemoteServerKey().fingerprint, target.hostKeyFingerprint);
  assert.equal(client.getTransport()!.getpeername(), undefined, "the connection runs over a channel, not a socket");
  assert.equal((await client.run("echo through")).stdout, "through\n");
  // SFTP through the jump too.
  const sftp = await client.openSftp();
  assert.equal(await sftp.normalize("."), target.home);
});

test("by hand, the paramiko way: the bastion's direct-tcpip Channel is the target's sock", async () => {
  await using bastionClient = new SSHClient();
  bastionClient.setMissingHostKeyPolicy(new AutoAddPolicy());
  await bastionClient.connect({ ...base(), hostname: bastion.host, port: bastion.port });
  const channel = await bastionClient.getTransport()!.openChannel("direct-tcpip", [target.host, target.port]);
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({ ...base(), hostname: target.host, port: target.port, sock: channel });
  assert.equal(client.getTransport()!.getRemoteServerKey().fingerprint, target.hostKeyFingerprint);
  assert.equal((await client.run("echo by hand")).stdout, "by hand\n");
  await channel.close();
  // A closed channel is refused at once, saying why.
  await assert.rejects(new SSHClient().connect({ ...base(), hostname: target.host, sock: channel }), /sock must be an open channel: this one is closed/);
});

test("transportFactory (paramiko's transport_factory) makes every transport, the jump host's too; it must return a Transport", async () => {
  const made: string[] = [];
  class CountingTransport extends Transport {}
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  await client.connect({
    ...base(),
    hostname: target.host,
    port: target.port,
    proxyJump: `${bastion.user}@${bastion.host}:${bastion.port}`,
    transportFactory: (where, options) => {
      made.push(options.hostname ?? "?");
      return new CountingTransport(where, options);
    },
  });
  assert.deepEqual(made, [`[${bastion.host}]:${bastion.port}`, `[${target.host}]:${target.port}`]);
  assert.ok(client.getTransport() instanceof CountingTransport);
  assert.equal((await client.run("echo made")).stdout, "made\n");

  const wrong = new SSHClient();
  await assert.rejects(
    wrong.connect({ ...base(), hostname: target.host, port: target.port, transportFactory: () => ({}) as Transport }),
    /SSHClient.connect: transportFactory must return a Transport: got/,
  );
});

test("proxyJump chains: two hops, then the target", async () => {
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  const hop = `${bastion.user}@${bastion.host}:${bastion.port}`;
  await client.connect({ ...base(), hostname: target.host, port: target.port, proxyJump: `${hop},${hop}` });
  assert.equal((await client.run("echo chained")).stdout, "chained\n");
  // Each hop's host key was checked (and, under AutoAddPolicy, remembered).
  assert.ok(client.getHostKeys().lookup(`[${bastion.host}]:${bastion.port}`));
  assert.ok(client.getHostKeys().lookup(`[${target.host}]:${target.port}`));
});

test("connect({ sshConfig }): HostName, Port, User, IdentityFile, IdentitiesOnly, ProxyJump, timeouts, host key settings", async () => {
  const dir = target.dir;
  const known = path.join(dir, "known_hosts_from_config");
  const configPath = path.join(dir, "ssh_config");
  await writeFile(
    configPath,
    [
      "Host jumpbox",
      `  HostName ${bastion.host}`,
      `  Port ${bastion.port}`,
      `  User ${bastion.user}`,
      `  IdentityFile ${bastion.keyPath}`,
      "Host app-* !app-direct",
      "  ProxyJump jumpbox",
      "Host app-*",
      `  HostName ${target.host}`,
      `  Port ${target.port}`,
      `  User ${target.user}`,
      `  IdentityFile ${bastion.keyPath}`,
      "  IdentitiesOnly yes",
      "  ConnectTimeout 5",
      "  ServerAliveInterval 30",
      "Host *",
      "  StrictHostKeyChecking accept-new",
      `  UserKnownHostsFile ${known}`,
    ].join("\n"),
  );
  {
    await using client = new SSHClient();
    await client.connect({ hostname: "app-1", sshConfig: configPath });
    assert.equal((await client.run("id -un")).stdout.trim(), target.user);
    assert.equal(client.getTransport()!.getpeername(), undefined, "app-1 goes through jumpbox");
  }
  const written = await readFile(known, "utf8");
  assert.ok(written.includes(`[${bastion.host}]:${bastion.port} `), written);
  assert.ok(written.includes(`[${target.host}]:${target.port} `), written);
  {
    await using client = new SSHClient();
    await client.connect({ hostname: "app-direct", sshConfig: configPath });
    assert.deepEqual(client.getTransport()!.getpeername(), [target.host, target.port], "negated: no jump");
  }
  // StrictHostKeyChecking yes: the same config refuses an unknown host.
  await writeFile(configPath, [`Host strict`, `  HostName ${target.host}`, `  Port ${target.port}`, "  StrictHostKeyChecking yes", "  UserKnownHostsFile /dev/null"].join("\n"));
  await assert.rejects(new SSHClient().connect({ ...base(), hostname: "strict", sshConfig: configPath }), /not found in known_hosts/);
});

test("connect({ sshConfig }) through ProxyJump: the jump host logs in with its own IdentityFile, not the target's", async () => {
  const dir = target.dir;
  // The target also takes its own fixture key, which the bastion does not.
  await writeFile(target.authorizedKeysPath, `${await readFile(target.authorizedKeysPath, "utf8")}${await readFile(`${target.keyPath}.pub`, "utf8")}`);
  const configPath = path.join(dir, "ssh_config_own_keys");
  await writeFile(
    configPath,
    [
      "Host own-bastion",
      `  HostName ${bastion.host}`,
      `  Port ${bastion.port}`,
      `  User ${bastion.user}`,
      `  IdentityFile ${bastion.keyPath}`,
      "  IdentitiesOnly yes",
      "Host own-inner",
      `  HostName ${target.host}`,
      `  Port ${target.port}`,
      `  User ${target.user}`,
      `  IdentityFile ${target.keyPath}`,
      "  IdentitiesOnly yes",
      "  ProxyJump own-bastion",
      "Host *",
      "  StrictHostKeyChecking accept-new",
      `  UserKnownHostsFile ${path.join(dir, "known_hosts_own_keys")}`,
    ].join("\n"),
  );
  await using client = new SSHClient();
  await client.connect({ hostname: "own-inner", sshConfig: configPath });
  assert.equal((await client.run("echo through")).stdout, "through\n");
  assert.equal(client.getTransport()!.getpeername(), undefined, "own-inner goes through own-bastion");
});
