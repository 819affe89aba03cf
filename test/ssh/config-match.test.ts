/**
 * SSHConfig's `Match exec`, `Match final` and `Match canonical`, and the `%l` token, as OpenSSH reads
 * them (a `~/.ssh/config` with `Match exec` used to make every lookup throw, and every connection
 * that applied it fail).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
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
