import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SpecResolver } from "../../src/fleet/resolve.js";
import { Credentials, isKeyProblem } from "../../src/fleet/credentials.js";
import { adHocHost } from "../../src/fleet/host.js";

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
