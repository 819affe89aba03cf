import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
  const fromConfig = await r.resolve(adHocHost("web1"));
  assert.deepEqual(
    { hostname: fromConfig.hostname, port: fromConfig.port, user: fromConfig.username, keys: fromConfig.identityFiles, timeout: fromConfig.connectTimeout, jump: fromConfig.proxyJump },
    { hostname: "10.1.1.1", port: 2200, user: "cfguser", keys: ["/keys/web"], timeout: 3000, jump: "bastion" },
  );
  const inventoryWins = await r.resolve(adHocHost("web1", { hostname: "192.0.2.7", port: 22, user: "inv", identity_file: "/keys/inv", connect_timeout: 1500, proxy_jump: "none" }));
  assert.deepEqual(
    { hostname: inventoryWins.hostname, port: inventoryWins.port, user: inventoryWins.username, keys: inventoryWins.identityFiles, timeout: inventoryWins.connectTimeout, jump: inventoryWins.proxyJump },
    { hostname: "192.0.2.7", port: 22, user: "inv", keys: ["/keys/inv"], timeout: 1500, jump: undefined },
  );
  assert.equal((await r.resolve(adHocHost("db1"))).username, "fallback");
  assert.equal((await new SpecResolver({ sshConfig: false, user: "me" }).resolve(adHocHost("db1"))).username, "me");
  assert.equal((await new SpecResolver({ sshConfig: config, connectTimeout: 700 }).resolve(adHocHost("web1", { connect_timeout: 1500 }))).connectTimeout, 700);
});

test("~/.ssh/config as OpenSSH reads it: Include, Match, ProxyCommand with its tokens from the host's final address, port and user", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "config.d"));
  await mkdir(join(dir, "config.d", "old")); // a folder the glob matches: skipped, as OpenSSH does
  await writeFile(join(dir, "config.d", "behind"), "Host app*\n  HostName %h.internal\n  ProxyCommand ~/bin/corkscrew http://proxy:3128/ %h %p %r # %n\n");
  const config = join(dir, "config");
  await writeFile(config, `Include config.d/*\nMatch originalhost db* user ops\n  Port 2201 # ops' port\nHost *\n  ConnectTimeout 1m\n`);
  const r = new SpecResolver({ sshConfig: config, user: "me" });
  const app = await r.resolve(adHocHost("app1"));
  // The command is the shell's: not a path to tidy up (~ and // stay), and `#` is part of it.
  assert.deepEqual([app.hostname, app.port, app.username, app.proxyCommand], ["app1.internal", 22, "me", "~/bin/corkscrew http://proxy:3128/ app1.internal 22 me # app1"]);
  assert.equal(app.connectTimeout, 60_000);
  assert.equal(app.proxyGroup, undefined, "not an ssh hop through one bastion: no shared handshake cap");
  // The inventory's port, user and address are the ones the tokens give, as ssh's -p, -l and -o HostName.
  const given = await r.resolve(adHocHost("app2", { port: 2222, user: "deploy", hostname: "10.9.9.9" }));
  assert.equal(given.proxyCommand, "~/bin/corkscrew http://proxy:3128/ 10.9.9.9 2222 deploy # app2");
  // Match user sees the inventory's user, or the fleet's default user (-u) when nothing else names one.
  assert.equal((await r.resolve(adHocHost("db1", { user: "ops" }))).port, 2201, "a trailing comment is not part of the value");
  assert.equal((await r.resolve(adHocHost("db1", { user: "dev" }))).port, 22);
  assert.equal((await new SpecResolver({ sshConfig: config, user: "ops" }).resolve(adHocHost("db1"))).port, 2201);
});

test("ProxyJump and ProxyCommand: one way to a host, the inventory's as a whole, else ssh_config's first", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "config");
  await writeFile(config, "Host cmd\n  ProxyCommand nc %h %p\nHost off\n  ProxyCommand none\nHost *\n  ProxyJump hop\n");
  const r = new SpecResolver({ sshConfig: config });
  const way = async (name: string, vars = {}) => {
    const s = await r.resolve(adHocHost(name, vars));
    return [s.proxyJump, s.proxyCommand];
  };
  assert.deepEqual(await way("cmd"), [undefined, "nc cmd 22"], "ProxyCommand came first");
  assert.deepEqual(await way("off"), [undefined, undefined], "ProxyCommand none came first: no ProxyJump either");
  assert.deepEqual(await way("web"), ["hop", undefined]);
  assert.deepEqual(await way("web", { proxy_command: "nc %h %p", port: 2022 }), [undefined, "nc web 2022"], "the inventory's wins over ssh_config's ProxyJump");
  assert.deepEqual(await way("cmd", { proxy_jump: "other" }), ["other", undefined]);
  assert.deepEqual(await way("web", { proxy_jump: "none" }), [undefined, undefined]);
  await assert.rejects(r.resolve(adHocHost("web", { proxy_jump: "a", proxy_command: "nc %h %p" })), (e: unknown) => e instanceof FleetError && /web has both proxy_jump and proxy_command/.test(e.message));
  await assert.rejects(r.resolve(adHocHost("web", { proxy_command: 42 as unknown as string })), (e: unknown) => e instanceof FleetError && /Invalid proxy_command for web: expected a command line, got 42/.test(e.message));
});

test("hosts share a handshake cap through a proxy command only when it is an ssh hop through one bastion", async () => {
  const groupOf = async (proxy_command: string) => (await new SpecResolver({ sshConfig: false }).resolve(adHocHost("web1", { proxy_command, port: 2222 }))).proxyGroup;
  assert.equal(await groupOf("ssh -W %h:%p bastion"), "ssh -W %h:%p bastion");
  assert.equal(await groupOf("ssh -q bastion nc %h %p"), "ssh -q bastion nc %h %p");
  assert.equal(await groupOf("ssh -W %h:%p %h-jump"), undefined, "a jump host per host");
  assert.equal(await groupOf("aws ssm start-session --target %h --parameters portNumber=%p"), undefined);
  // From ssh_config, whose tokens come expanded: host `b` is told from the `b` of `bastion`.
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  try {
    await writeFile(join(dir, "config"), "Host *\n  ProxyCommand ssh -W %h:%p -l %r bastion\n");
    const r = new SpecResolver({ sshConfig: join(dir, "config"), user: "ops" });
    assert.equal((await r.resolve(adHocHost("b"))).proxyGroup, "ssh -W %h:%p -l %r bastion");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a mistake in ~/.ssh/config names its file and line; a value that cannot be used fails only its host", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "config");
  await writeFile(config, "Host a\n  User x\nMatch hots prod\n  User y\n");
  assert.throws(() => new SpecResolver({ sshConfig: config }), (e: unknown) => e instanceof ConfigParseError && e.message === `${config} line 3: Unsupported Match criterion: hots`);
  const included = join(dir, "included");
  await writeFile(included, "Host b\n  Usr z\n  Port\n");
  await writeFile(config, `Host a\n  User x\nInclude ${included}\n`);
  assert.throws(() => new SpecResolver({ sshConfig: config }), (e: unknown) => e instanceof ConfigParseError && e.message === `${included} line 3: expected "Keyword value": "Port"`);
  await writeFile(included, "Host bad\n  Port http\n");
  await writeFile(config, `Include ${included}\nHost bad slow\n  ConnectTimeout soon\nHost slow\n  ConnectTimeout soon\nHost zero\n  ConnectTimeout 0\n`);
  const r = new SpecResolver({ sshConfig: config });
  await assert.rejects(r.resolve(adHocHost("bad")), (e: unknown) => e instanceof FleetError && e.kind === "dns" && e.message === `${included} line 2: Port for bad is not a port from 1 to 65535: "http"`);
  await assert.rejects(r.resolve(adHocHost("slow")), (e: unknown) => e instanceof FleetError && e.message === `${config} line 3: ConnectTimeout for slow is not a time (seconds, or 30s, 1m, 1h): "soon"`);
  // OpenSSH's time format: units in any case, run together; not milliseconds or fractions.
  const timeOf = async (value: string) => {
    await writeFile(config, `Host *\n  ConnectTimeout ${value}\n`);
    return (await new SpecResolver({ sshConfig: config }).resolve(adHocHost("h"))).connectTimeout;
  };
  assert.deepEqual([await timeOf("30S"), await timeOf("1m30s"), await timeOf("45")], [30_000, 90_000, 45_000]);
  assert.equal(await timeOf("1w"), 604_800_000);
  for (const bad of ["500ms", "1.5"]) await assert.rejects(timeOf(bad), /is not a time/);
  assert.equal(await timeOf("none"), 10_000, "none is unset, as in OpenSSH");
  assert.equal((await r.resolve(adHocHost("fine"))).port, 22);
  assert.equal((await r.resolve(adHocHost("zero"))).connectTimeout, 10_000, "0 leaves shoal's default: a fleet's connects are always bounded");
  await rm(config);
  await mkdir(config);
  assert.throws(() => new SpecResolver({ sshConfig: config }), (e: unknown) => e instanceof ConfigParseError && e.message.startsWith(`Cannot read ssh_config ${config}: EISDIR`));
});

test("Match exec runs without blocking: hosts' commands run at once, and one past the connect timeout is killed with its children", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "config");
  const log = join(dir, "ran");
  await writeFile(config, `Match exec "echo start %n >> ${log}; sleep 0.5; echo end %n >> ${log}"\n  Port 2022\nMatch originalhost stuck exec "sleep 61.7 & wait"\n  User never\n`);
  const r = new SpecResolver({ sshConfig: config, connectTimeout: 2000 });
  const specs = await Promise.all(["a", "b", "c"].map((n) => r.resolve(adHocHost(n))));
  assert.deepEqual(specs.map((s) => s.port), [2022, 2022, 2022]);
  const lines = (await readFile(log, "utf8")).trim().split("\n");
  assert.deepEqual(lines.slice(0, 3).map((l) => l.split(" ")[0]), ["start", "start", "start"], `all three started before any ended: ${lines.join(", ")}`);
  await assert.rejects(r.resolve(adHocHost("stuck")), (e: unknown) => e instanceof FleetError && /line 3: Match exec "sleep 61.7 & wait": the command did not exit within 2000 ms \(killed\)/.test(e.message));
  // Its whole process group went: no `sleep 61.7` of it is left.
  assert.equal(spawnSync("pgrep", ["-f", "^sleep 61.7$"]).status, 1, "the command's child was killed too");
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
