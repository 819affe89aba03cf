/**
 * SSHConfig's `Match exec`, `Match final` and `Match canonical`, and the `%l` token, as OpenSSH reads
 * them (a `~/.ssh/config` with `Match exec` used to make every lookup throw, and every connection
 * that applied it fail).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigParseError, SSHConfig } from "../../src/ssh/index.js";

test("Match exec matches when its command exits 0, with the host's tokens expanded", () => {
  const config = SSHConfig.fromText(
    ['Match exec "test %h = web1 && test %p = 2222"', "  User viaexec", "Host *", "  Port 2222", "  User fallback"].join("\n"),
  );
  assert.equal(config.lookup("web1").getString("user"), "fallback", "the port is not known yet when the Match line is read");
  const ported = SSHConfig.fromText(['Host *', "  Port 2222", 'Match exec "test %h = web1 && test %p = 2222"', "  User viaexec", "Host *", "  User fallback"].join("\n"));
  assert.equal(ported.lookup("web1").getString("user"), "viaexec");
  assert.equal(ported.lookup("web2").getString("user"), "fallback");
  const negated = SSHConfig.fromText(['Match !exec "false"', "  User notfalse"].join("\n"));
  assert.equal(negated.lookup("any").getString("user"), "notfalse");
});

test("Match exec runs only when the criteria before it on the line matched", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shoal-match-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, "ran");
  const config = SSHConfig.fromText([`Match host db* exec "echo %h >> ${log}"`, "  User dbadmin"].join("\n"));
  assert.equal(config.lookup("web1").getString("user"), undefined);
  assert.equal(config.lookup("db1").getString("user"), "dbadmin");
  assert.equal(await readFile(log, "utf8"), "db1\n", "run for db1 only");
});

test("Match exec whose command does not exit is killed at execTimeout and fails the lookup, naming it", () => {
  const config = SSHConfig.fromText(['Match exec "sleep 60"', "  User never"].join("\n"));
  const started = performance.now();
  assert.throws(() => config.lookup("web1", { execTimeout: 300 }), (error: unknown) => {
    assert.ok(error instanceof ConfigParseError);
    assert.equal(error.message, 'Line 1: Match exec "sleep 60": the command did not exit within 300 ms (killed)');
    return true;
  });
  assert.ok(performance.now() - started < 30_000, "not the 60 s of the command");
  assert.throws(() => config.lookup("web1", { execTimeout: -1 }), /SSHConfig\.lookup: execTimeout/);
  // A fraction, or no limit at all, are taken as such.
  const quick = SSHConfig.fromText(['Match exec "true"', "  User quick"].join("\n"));
  assert.equal(quick.lookup("web1", { execTimeout: 2500.5 }).getString("user"), "quick");
  assert.equal(quick.lookup("web1", { execTimeout: Infinity }).getString("user"), "quick");
});

test("Match final and Match canonical match in a second pass; the first pass's values win", () => {
  const config = SSHConfig.fromText(
    ["Host web*", "  User early", "  IdentityFile ~/.ssh/first", "Match final", "  User late", "  Port 2200", "  IdentityFile ~/.ssh/final", "Match canonical host web1", "  Compression yes", "Match !final", "  ConnectTimeout 7"].join("\n"),
  );
  const web = config.lookup("web1");
  assert.equal(web.getString("user"), "early");
  assert.equal(web.getString("port"), "2200");
  assert.equal(web.getString("compression"), "yes");
  assert.equal(web.getString("connecttimeout"), "7", "!final matched in the first pass");
  assert.deepEqual(web.getList("identityfile"), [path.join(os.homedir(), ".ssh/first"), path.join(os.homedir(), ".ssh/final")]);
  // Without a Match final (or CanonicalizeHostname), there is no second pass.
  const single = SSHConfig.fromText(["Match canonical", "  User never"].join("\n"));
  assert.equal(single.lookup("h").getString("user"), undefined);
  const canonicalizing = SSHConfig.fromText(["CanonicalizeHostname yes", "Match canonical", "  User canon"].join("\n"));
  assert.equal(canonicalizing.lookup("h").getString("user"), "canon");
});

test("%l is the local host name with its domain, %L without it", () => {
  const config = SSHConfig.fromText(["Host *", "  ControlPath /tmp/%l/%L"].join("\n"));
  const fqdn = os.hostname();
  assert.equal(config.lookup("h").getString("controlpath"), `/tmp/${fqdn}/${fqdn.split(".")[0]}`);
});

test("Match tagged and localnetwork; ProxyJump and ProxyCommand shut each other out; trailing comments; where each value was read", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = SSHConfig.fromText(
    [
      "Host tagged*",
      "  Tag prod # set by the file, as ssh -P would",
      "Match tagged prod",
      "  User fromtag",
      "Match localnetwork 127.0.0.0/8,::1/128",
      "  Port 2022",
      "Match localnetwork 192.0.2.0/24",
      "  Port 9",
      "Host viacommand",
      "  ProxyCommand nc %h %p # the shell's comment",
      "Host *",
      "  ProxyJump hop",
      "  IdentityFile ~/keys/a//b",
    ].join("\n"),
  );
  const tagged = config.lookup("tagged1");
  assert.deepEqual([tagged.getString("user"), tagged.getString("port"), tagged.origin("port")], ["fromtag", "2022", "Line 6"]);
  assert.equal(config.lookup("other").getString("user"), undefined);
  const command = config.lookup("viacommand");
  assert.deepEqual([command.getString("proxycommand"), command.getString("proxyjump")], ["nc viacommand 2022 # the shell's comment", undefined]);
  assert.deepEqual([config.lookup("web").getString("proxyjump"), config.lookup("web").getString("proxycommand")], ["hop", undefined]);
  assert.deepEqual(config.lookup("web").getList("identityfile"), [`${os.homedir()}/keys/a//b`], "~ expanded, the rest as written");
  assert.throws(() => SSHConfig.fromText("Match localnetwork nonsense\n  Port 1\n").lookup("x"), /Line 1: Match localnetwork: "nonsense" is not an address\/prefix network/);
  // Include: globs in any part of the path; folders and unreadable files are skipped, as OpenSSH does.
  await mkdir(path.join(dir, "conf1"));
  await mkdir(path.join(dir, "conf2", "10-web"), { recursive: true });
  await writeFile(path.join(dir, "conf1", "10-web"), "Host web\n  User fromglob\n");
  const file = path.join(dir, "config");
  await writeFile(file, "Include conf*/10-web\n");
  const included = await SSHConfig.fromPath(file);
  assert.equal(included.lookup("web").getString("user"), "fromglob");
  assert.equal(included.lookup("web").origin("user"), `${path.join(dir, "conf1", "10-web")} line 2`);
});

test("lookupAsync reads as lookup does, and runs Match exec without blocking", async () => {
  const text = ['Match exec "sleep 0.3; test %n = web1"', "  User viaexec", "Host *", "  User fallback", "  Port 2200"].join("\n");
  const config = SSHConfig.fromText(text);
  const ticks: number[] = [];
  const ticker = setInterval(() => ticks.push(performance.now()), 20);
  const [web1, web2] = await Promise.all([config.lookupAsync("web1"), config.lookupAsync("web2")]);
  clearInterval(ticker);
  assert.deepEqual([web1.getString("user"), web2.getString("user"), web1.getString("port")], ["viaexec", "fallback", "2200"]);
  assert.deepEqual([...config.lookup("web1")], [...web1]);
  assert.ok(ticks.length >= 5, `the event loop ran while the commands did (${ticks.length} ticks)`);
  await assert.rejects(SSHConfig.fromText('Match exec "sleep 5"\n  User x\n').lookupAsync("h", { execTimeout: 200 }), (e: unknown) => e instanceof ConfigParseError && /Line 1: Match exec "sleep 5": the command did not exit within 200 ms/.test(e.message));
});

test("Include under a Host or Match block applies only when that block does; a Match exec around it runs once", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, "ran");
  await writeFile(path.join(dir, "work.conf"), "Host *\n  User workuser\n  ProxyJump work-bastion\n");
  await writeFile(path.join(dir, "part.conf"), "Port 2200\nHost *\n  Compression yes\n");
  await writeFile(
    path.join(dir, "config"),
    `Host work-*\n  Include work.conf\n  ForwardAgent yes\nMatch exec "echo ran >> ${log}"\n  Include part.conf\n  ServerAliveInterval 9\nHost *\n  User fallback\n`,
  );
  const config = await SSHConfig.fromPath(path.join(dir, "config"));
  const home = config.lookup("home1");
  assert.deepEqual([home.getString("user"), home.getString("proxyjump"), home.getString("forwardagent")], ["fallback", undefined, undefined]);
  assert.deepEqual([home.getString("port"), home.getString("compression"), home.getString("serveraliveinterval")], ["2200", "yes", "9"]);
  assert.equal((await readFile(log, "utf8")).trim().split("\n").length, 1, "the Match exec ran once");
  const work = config.lookup("work-1");
  assert.deepEqual([work.getString("user"), work.getString("proxyjump"), work.getString("forwardagent")], ["workuser", "work-bastion", "yes"]);
  // An inactive Match's included file is not looked at: its own Match exec does not run.
  await writeFile(path.join(dir, "inner.conf"), `Match exec "echo inner >> ${log}"\n  User inner\n`);
  await writeFile(path.join(dir, "config2"), "Match originalhost nothing-matches\n  Include inner.conf\n");
  (await SSHConfig.fromPath(path.join(dir, "config2"))).lookup("web");
  assert.doesNotMatch(await readFile(log, "utf8"), /inner/);
});

test("OpenSSH 10's Match sessiontype, command and version; Include [...] classes; every ~ of UserKnownHostsFile", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shoal-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = SSHConfig.fromText(
    ["Match sessiontype subsystem", "  User sftpuser", "Match command uptime*", "  User uptimer", "Match version OpenSSH_10*", "  User newssh", "Host *", "  UserKnownHostsFile ~/a ~/b"].join("\n"),
  );
  assert.equal(config.lookup("h").getString("user"), undefined, "exec by default; no command; shoal is no OpenSSH");
  assert.equal(config.lookup("h", { sessionType: "subsystem" }).getString("user"), "sftpuser");
  assert.equal(config.lookup("h", { command: "uptime -p" }).getString("user"), "uptimer");
  const commands = SSHConfig.fromText(['Match command ""', "  User nocommand", "Match command sftp", "  User sftp", "Host *", "  ConnectTimeout 1m30S", "  ServerAliveInterval none"].join("\n"));
  assert.equal(commands.lookup("h").getString("user"), "nocommand", "no command matches the empty string");
  assert.equal(commands.lookup("h", { command: "sftp", sessionType: "subsystem" }).getString("user"), "sftp");
  // OpenSSH's time format.
  assert.equal(commands.lookup("h").asTime("connecttimeout"), 90_000);
  assert.equal(commands.lookup("h").asTime("serveraliveinterval"), undefined);
  const started = performance.now();
  assert.throws(() => SSHConfig.fromText(`ConnectTimeout ${"1".repeat(40)}x\n`).lookup("h").asTime("connecttimeout"), /Line 1: connecttimeout is not a time/);
  assert.ok(performance.now() - started < 1000, "read in linear time");
  assert.equal(config.lookup("h").getString("userknownhostsfile"), `${os.homedir()}/a ${os.homedir()}/b`);
  await mkdir(path.join(dir, "conf1"));
  await mkdir(path.join(dir, "conf3"));
  await writeFile(path.join(dir, "conf1", "x"), "Host one\n  User fromconf1\n");
  await writeFile(path.join(dir, "conf3", "x"), "Host one\n  User fromconf3\n");
  await writeFile(path.join(dir, "config"), "Include conf[12]/x\n");
  assert.equal((await SSHConfig.fromPath(path.join(dir, "config"))).lookup("one").getString("user"), "fromconf1");
});
