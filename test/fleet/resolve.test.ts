import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SpecResolver } from "../../src/fleet/resolve.js";
import { Credentials, isKeyProblem } from "../../src/fleet/credentials.js";
import { adHocHost } from "../../src/fleet/host.js";
import { FleetError } from "../../src/fleet/connection.js";
import { ConfigParseError } from "../../src/ssh/errors.js";

test("~/.ssh/config applies under the inventory: the host's vars win, the config fills the rest", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "config");
  await writeFile(config, "Host web*\n  HostName 10.1.1.1\n  Port 2200\n  User cfguser\n  IdentityFile /keys/web\n  ConnectTimeout 3\n  ProxyJump bastion\nHost *\n  User fallback\n");
  const r = new SpecResolver({ sshConfig: config, user: "me" });
  const fromConfig = r.resolve(adHocHost("web1"));
  assert.deepEqual(
    { hostname: fromConfig.hostname, port: fromConfig.port, user: fromConfig.username, keys: fromConfig.identityFiles, timeout: fromConfig.connectTimeout, jump: fromConfig.proxyJump },
    { hostname: "10.1.1.1", port: 2200, user: "cfguser", keys: ["/keys/web"], timeout: 3000, jump: "bastion" },
  );
  const inventoryWins = r.resolve(adHocHost("web1", { hostname: "192.0.2.7", port: 22, user: "inv", identity_file: "/keys/inv", connect_timeout: 1500, proxy_jump: "none" }));
  assert.deepEqual(
    { hostname: inventoryWins.hostname, port: inventoryWins.port, user: inventoryWins.username, keys: inventoryWins.identityFiles, timeout: inventoryWins.connectTimeout, jump: inventoryWins.proxyJump },
    { hostname: "192.0.2.7", port: 22, user: "inv", keys: ["/keys/inv"], timeout: 1500, jump: undefined },
  );
  assert.equal(r.resolve(adHocHost("db1")).username, "fallback");
  assert.equal(new SpecResolver({ sshConfig: false, user: "me" }).resolve(adHocHost("db1")).username, "me");
  assert.equal(new SpecResolver({ sshConfig: config, connectTimeout: 700 }).resolve(adHocHost("web1", { connect_timeout: 1500 })).connectTimeout, 700);
});

test("~/.ssh/config as OpenSSH reads it: Include, Match, ProxyCommand with its tokens from the host's final address, port and user", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "config.d"));
  await writeFile(join(dir, "config.d", "behind"), "Host app*\n  HostName %h.internal\n  ProxyCommand ssh -W %h:%p -l %r bastion # %n\n");
  const config = join(dir, "config");
  await writeFile(config, `Include config.d/*\nMatch originalhost db* user ops\n  Port 2201\nHost *\n  User cfg\n`);
  const r = new SpecResolver({ sshConfig: config, user: "me" });
  const app = r.resolve(adHocHost("app1"));
  assert.deepEqual([app.hostname, app.port, app.username, app.proxyCommand], ["app1.internal", 22, "cfg", "ssh -W app1.internal:22 -l cfg bastion # app1"]);
  // The inventory's port, user and address are the ones the tokens give, as ssh's -p, -l and -o HostName.
  const given = r.resolve(adHocHost("app2", { port: 2222, user: "deploy", hostname: "10.9.9.9" }));
  assert.equal(given.proxyCommand, "ssh -W 10.9.9.9:2222 -l deploy bastion # app2");
  // Match user sees the inventory's user.
  assert.equal(r.resolve(adHocHost("db1", { user: "ops" })).port, 2201);
  assert.equal(r.resolve(adHocHost("db1", { user: "dev" })).port, 22);
  // The inventory's own proxy_command, its tokens expanded; ProxyJump wins over ProxyCommand, as in OpenSSH.
  assert.equal(r.resolve(adHocHost("web1", { proxy_command: "nc %h %p", port: 2022 })).proxyCommand, "nc web1 2022");
  const jumped = r.resolve(adHocHost("app3", { proxy_jump: "hop" }));
  assert.deepEqual([jumped.proxyJump, jumped.proxyCommand], ["hop", undefined]);
  assert.equal(r.resolve(adHocHost("app4", { proxy_command: "none" })).proxyCommand, undefined);
});

test("a mistake in ~/.ssh/config names its file and line; a value that cannot be used fails only its host", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "config");
  await writeFile(config, "Host a\n  User x\nMatch tagged prod\n  User y\n");
  assert.throws(() => new SpecResolver({ sshConfig: config }), (e: unknown) => e instanceof ConfigParseError && e.message === `${config} line 3: Unsupported Match criterion: tagged`);
  await writeFile(join(dir, "included"), "Host b\n  Usr z\n  Port\n");
  await writeFile(config, `Host a\n  User x\nInclude ${join(dir, "included")}\n`);
  assert.throws(() => new SpecResolver({ sshConfig: config }), (e: unknown) => e instanceof ConfigParseError && e.message === `${join(dir, "included")} line 3: expected "Keyword value": "Port"`);
  await writeFile(config, "Host bad\n  Port http\n  ConnectTimeout soon\nHost slow\n  ConnectTimeout soon\n");
  const r = new SpecResolver({ sshConfig: config });
  assert.throws(() => r.resolve(adHocHost("bad")), (e: unknown) => e instanceof FleetError && e.kind === "dns" && e.message === `${config}: Port for bad is not a port from 1 to 65535: "http"`);
  assert.throws(() => r.resolve(adHocHost("slow")), (e: unknown) => e instanceof FleetError && /ConnectTimeout for slow is not a number of seconds: "soon"/.test(e.message));
  assert.equal(r.resolve(adHocHost("fine")).port, 22);
  await rm(config);
  await mkdir(config);
  assert.throws(() => new SpecResolver({ sshConfig: config }), (e: unknown) => e instanceof ConfigParseError && e.message.startsWith(`Cannot read ssh_config ${config}: EISDIR`));
});

test("a key with a passphrase is asked for once, however many hosts use it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-key-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, "id_ed25519");
  await promisify(execFile)("ssh-keygen", ["-q", "-t", "ed25519", "-N", "s3cret", "-f", key]);
  let asked = 0;
  const creds = new Credentials({
    passphrase: async (q) => {
      asked++;
      assert.match(q, /Enter passphrase for key/);
      return "s3cret";
    },
  });
  const keys = await Promise.all(Array.from({ length: 20 }, () => creds.key(key)));
  assert.equal(asked, 1);
  assert.ok(keys.every((k) => !isKeyProblem(k)));
  const noPrompt = await new Credentials().key(key);
  assert.ok(isKeyProblem(noPrompt) && /encrypted/.test(noPrompt.message));
  let pw = 0;
  const shared = new Credentials({ password: async () => (pw++, "pw") });
  assert.deepEqual(await Promise.all([shared.password(undefined), shared.password(undefined)]), ["pw", "pw"]);
  assert.equal(pw, 1);
  process.env["SHOAL_TEST_PASSWORD_ENV"] = "from-env";
  assert.equal(await shared.password("SHOAL_TEST_PASSWORD_ENV"), "from-env");
  delete process.env["SHOAL_TEST_PASSWORD_ENV"];
});
