/**
 * ProxyCommand: a local command whose stdin and stdout carry the SSH connection, given as `sock`
 * or by ssh_config's ProxyCommand; and a command that fails, reported as ProxyCommandFailure.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
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

test("a failed ProxyCommand's reason is its stderr's last line, even when the line comes after its exit; a process left holding stderr holds the failure up a quarter of a second at most", async () => {
  for (const [command, error, within] of [
    // The shell exits at once; the line comes 0.1 s later (before: "exited with status 255" alone).
    ["(sleep 0.1; echo 'kex_exchange_identification: Connection closed by remote host' >&2) & exit 255", "exited with status 255: kex_exchange_identification: Connection closed by remote host", 5_000],
    ["echo 'said at once' >&2; exit 4", "exited with status 4: said at once", 5_000],
    // A process left running with stderr open: the failure is told without it.
    ["sleep 2 & exit 3", "exited with status 3", 1_500],
  ] as const) {
    const proxy = new ProxyCommand(command, { stderr: "capture" });
    const started = performance.now();
    const failure = await new Promise<Error>((resolve) => proxy.once("error", resolve));
    assert.ok(failure instanceof ProxyCommandFailure, String(failure));
    assert.equal(failure.error, error, command);
    assert.ok(performance.now() - started < within, `${command}: told after ${Math.round(performance.now() - started)} ms`);
  }
});

test("a ProxyCommand whose command ends cleanly ends, finishes and closes, however its exit and its pipes interleave", async () => {
  for (const [command, output] of [
    ["head -c 2; sleep 0.2", "ab"], // exits after its output, stdin unread
    ["sleep 0.3; printf x", "x"], // reads nothing: a write may meet a closed pipe
    ["printf hi", "hi"], // exits at once
  ] as const) {
    const proxy = new ProxyCommand(command);
    const events: string[] = [];
    let data = "";
    proxy.on("data", (chunk: Buffer) => (data += chunk.toString()));
    for (const name of ["end", "finish", "close"]) proxy.on(name, () => events.push(name));
    proxy.on("error", (error: Error) => events.push(`error: ${error.message}`));
    proxy.on("end", () => proxy.end()); // as a socket's user does at the other side's end
    proxy.write("abcdef");
    await new Promise((resolve) => proxy.once("close", resolve));
    assert.equal(data, output, command);
    assert.deepEqual(events, ["end", "finish", "close"], command);
  }
});

test("a ProxyCommand stays in the program's session (it may prompt on the terminal); with ownGroup it has its own, and its whole group ends with it", async () => {
  const sessionOf = (pid: number) => Number(spawnSync("ps", ["-o", "sid=", "-p", String(pid)]).stdout.toString().trim());
  const mine = sessionOf(process.pid);
  for (const ownGroup of [false, true]) {
    const file = join(sshd.dir, `sid-${ownGroup}`);
    // The session of the shell that runs it, and a child of its own that outlives a TERM to the shell alone.
    const proxy = new ProxyCommand(`ps -o sid= -p $$ > ${file}; sleep 41.${ownGroup ? 2 : 1} & wait`, { ownGroup });
    proxy.on("error", () => {});
    const deadline = performance.now() + 10_000;
    while (!(await readFile(file, "utf8").catch(() => "")).trim() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const sid = Number((await readFile(file, "utf8")).trim());
    if (ownGroup) assert.notEqual(sid, mine);
    else assert.equal(sid, mine);
    proxy.destroy();
  }
  // Destroyed, the own-group one took its child along; the other one's child is its own business.
  const gone = async (marker: string) => {
    const deadline = performance.now() + 5000;
    while (spawnSync("pgrep", ["-f", marker]).status === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return spawnSync("pgrep", ["-f", marker]).status === 1;
  };
  assert.ok(await gone("sleep 41.2"));
  spawnSync("pkill", ["-f", "sleep 41.1"]);
});

test("SSHClient with ssh_config: the port given is ssh_config's %p; an abort while Match exec runs starts no ProxyCommand", async () => {
  const config = join(sshd.dir, "proxy_port_config");
  await writeFile(config, `Host behind-port\n  HostName ${sshd.host}\n  ProxyCommand ${relay("%h", "%p")}\nHost slow-lookup\n  ProxyCommand sleep 42.5\nMatch originalhost slow-lookup exec "sleep 4"\n  User nobody\n`);
  {
    await using c = client();
    await c.connect({ hostname: "behind-port", port: sshd.port, sshConfig: config, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
    assert.equal((await c.run("echo ported")).stdout, "ported\n");
  }
  await using c = client();
  const started = performance.now();
  await assert.rejects(c.connect({ hostname: "slow-lookup", sshConfig: config, username: sshd.user, signal: AbortSignal.timeout(100), allowAgent: false, lookForKeys: false }));
  assert.ok(performance.now() - started < 3000, "the Match exec was stopped by the signal, not waited for");
  assert.equal(spawnSync("pgrep", ["-f", "sleep 42.5"]).status, 1, "no ProxyCommand left behind");
});
