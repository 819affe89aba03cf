/**
 * ProxyCommand: a local command whose stdin and stdout carry the SSH connection, given as `sock`
 * or by ssh_config's ProxyCommand; and a command that fails, reported as ProxyCommandFailure.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AutoAddPolicy, ProxyCommand, ProxyCommandFailure, SSHClient } from "../../src/ssh/index.js";
import { startSshd } from "../fixtures/sshd.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;

before(async () => {
  sshd = await startSshd();
});
after(() => sshd?.stop());

/** A shell command that relays its stdin and stdout to TCP `port` on `host` (a portable `nc`). */
function relay(host: string, port: number | string): string {
  const script = `const s = require("net").connect(Number(process.argv[2]), process.argv[1]); process.stdin.pipe(s); s.pipe(process.stdout); s.on("error", () => process.exit(2));`;
  return `'${process.execPath}' -e '${script}' ${host} ${port}`;
}

function client(): SSHClient {
  const c = new SSHClient();
  c.setMissingHostKeyPolicy(new AutoAddPolicy());
  return c;
}

test("a ProxyCommand given as sock carries the connection", async () => {
  await using c = client();
  const sock = new ProxyCommand(relay(sshd.host, sshd.port));
  await c.connect({ hostname: "through-the-proxy", sock, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
  assert.deepEqual(await c.run("echo via proxy"), { stdout: "via proxy\n", stderr: "", exitStatus: 0, exitSignal: null });
});

test("ssh_config's ProxyCommand, with %h and %p, carries the connection", async () => {
  const config = join(sshd.dir, "proxy_config");
  await writeFile(config, `Host behind\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  ProxyCommand ${relay("%h", "%p")}\n`);
  await using c = client();
  await c.connect({ hostname: "behind", sshConfig: config, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
  assert.equal((await c.run("echo configured")).stdout, "configured\n");
});

test("a ProxyCommand that fails rejects the connection with ProxyCommandFailure, its command and error", async () => {
  for (const [command, error] of [
    ["exit 3", "exited with status 3"],
    ["/nonexistent/proxy-command", "exited with status 127"],
  ] as const) {
    await using c = client();
    await assert.rejects(
      c.connect({ hostname: "nowhere", sock: new ProxyCommand(command), username: sshd.user, timeout: 30_000, allowAgent: false, lookForKeys: false }),
      (thrown: unknown) => {
        const failure = thrown instanceof ProxyCommandFailure ? thrown : (thrown as Error).cause;
        assert.ok(failure instanceof ProxyCommandFailure, `${String(thrown)}`);
        assert.equal(failure.command, command);
        assert.equal(failure.error, error);
        assert.match(failure.message, new RegExp(`ProxyCommand ".*" failed: ${error}`));
        return true;
      },
    );
  }
});
