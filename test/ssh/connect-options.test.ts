/**
 * Each `SSHClient.connect` option does what its name says (channelTimeout, keepaliveInterval, sock,
 * lookForKeys, allowAgent, disabledAlgorithms, saveHostKeys), a user's mistake fails at once with an
 * error naming the argument (never a hang or a lost connection), and a frozen or killed server
 * ends calls instead of hanging them. The server is frozen with SIGSTOP on its per-connection
 * process (the parent of the remote shell).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile, copyFile } from "node:fs/promises";
import net from "node:net";
import { Readable } from "node:stream";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { AuthenticationError, AutoAddPolicy, HostKeys, RejectPolicy, SFTPError, SSHClient, SSHException, SSHTimeoutError, Transport } from "../../src/ssh/index.js";
import type { ConnectOptions } from "../../src/ssh/index.js";
import { startSshd } from "../fixtures/sshd.js";
import { startSshAgent } from "../fixtures/ssh-agent.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;

before(async () => {
  sshd = await startSshd();
});
after(() => sshd?.stop());

function base(): ConnectOptions {
  return { hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false };
}

async function connect(extra: Partial<ConnectOptions> = {}): Promise<SSHClient> {
  const client = new SSHClient();
  client.setMissingHostKeyPolicy(new AutoAddPolicy());
  try {
    await client.connect({ ...base(), ...extra });
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

/** Waits for a promise, failing the test (rather than hanging it) after a generous bound. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Freezes the server side of a connection until the returned function is called. */
async function freezeServer(client: SSHClient): Promise<() => void> {
  const pid = Number((await client.run("echo $PPID")).stdout);
  assert.ok(pid > 1);
  process.kill(pid, "SIGSTOP");
  return () => {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // already gone
    }
  };
}

test("bad connect arguments fail at once, naming the argument (no DNS lookup, no hang)", async () => {
  const cases: Array<[Partial<ConnectOptions> | Record<string, unknown>, RegExp]> = [
    [{ hostname: undefined }, /hostname must be a host name or address: got undefined/],
    [{ hostname: "" }, /hostname must be a host name/],
    [{ port: 0 }, /port must be a port number from 1 to 65535: got number 0/],
    [{ port: 70000 }, /port must be a port number/],
    [{ port: "ssh" }, /port must be a port number.*"ssh"/],
    [{ pkey: "-----BEGIN OPENSSH PRIVATE KEY-----" }, /pkey must be a PKey/],
    [{ password: 1234 }, /password must be a string: got number 1234/],
    [{ keyFilename: [sshd.keyPath, 7] }, /keyFilename must be a path or a list of paths/],
    [{ bannerTimeout: -1 }, /bannerTimeout must not be negative/],
    [{ authTimeout: "10s" }, /authTimeout must be a number of milliseconds/],
    [{ channelTimeout: Number.NaN }, /channelTimeout must be a number/],
    [{ keepaliveInterval: -5 }, /keepaliveInterval must not be negative/],
    [{ sock: {} }, /sock must be a duplex stream/],
    [{ proxyJump: "user@bastion:ssh" }, /proxyJump hop "user@bastion:ssh" port must be a port number/],
    [{ proxyJump: "user@:22" }, /proxyJump hop must be "\[user@\]host\[:port\]"/],
    [{ disabledAlgorithms: { cipher: ["aes128-ctr"], mac: ["hmac-sha1"] } }, /disabledAlgorithms has an unknown category "mac"/],
    [{ disabledAlgorithms: { kex: "curve25519-sha256" } }, /disabledAlgorithms.kex must be a list of algorithm names/],
    [{ disabledAlgorithms: { pubkeys: ["rsa-sha2-512"] } }, /disabledAlgorithms.pubkeys is not supported: ssh2 picks a user key's signature algorithm from what the server offers/],
    [{ transportFactory: "Transport" }, /transportFactory must be a function returning a Transport: got "Transport"/],
  ];
  for (const [extra, message] of cases) {
    const client = new SSHClient();
    const started = performance.now();
    await assert.rejects(client.connect({ ...base(), ...extra } as ConnectOptions), (error: Error) => {
      assert.ok(error instanceof TypeError || error instanceof RangeError, `${JSON.stringify(extra)}: ${error.name}: ${error.message}`);
      assert.match(error.message, /^SSHClient\.connect/);
      assert.match(error.message, message);
      return true;
    });
    // At once: before any network wait (a connect would wait for the 15 s banner default).
    assert.ok(performance.now() - started < 2000, `${JSON.stringify(extra)} failed at once`);
  }
  await assert.rejects(new SSHClient().connect(undefined as unknown as ConnectOptions), /options must be an object with a hostname/);
  assert.throws(() => new Transport(["127.0.0.1", Number.NaN]), /Transport: port must be a port number/);
  assert.throws(() => new Transport("127.0.0.1:99999"), /Transport: port of "127.0.0.1:99999"/);
  assert.throws(() => new Transport({ sock: "socket" as unknown as net.Socket }), /Transport: sock must be a duplex stream/);
  // A key file that is a folder names the file.
  await assert.rejects(connect({ keyFilename: os.tmpdir() }), (error: Error) => error.message.includes(os.tmpdir()));
});

test("bad command and SFTP arguments are user errors: the connection survives them", async () => {
  await using client = await connect();
  await assert.rejects(client.run(42 as unknown as string), /SSHClient\.run: command must be a string: got number 42/);
  await assert.rejects(client.execCommand("true", { environment: { A: 1 as unknown as string } }), /environment must map names to string values/);
  await assert.rejects(client.run("cat", { input: 5 as unknown as string }), /input must be a string or a Buffer/);
  await using sftp = await client.openSftp();
  await assert.rejects(sftp.stat(undefined as unknown as string), (error: Error) => error instanceof TypeError && /path must be a string/.test(error.message));
  await assert.rejects(sftp.chmod(sshd.workDir, "rwx" as unknown as number), (error: Error) => error instanceof TypeError && /chmod: mode/.test(error.message));
  await assert.rejects(sftp.utime(sshd.workDir, ["now", 0] as unknown as [number, number]), TypeError);
  await assert.rejects(sftp.chdir("/etc/hostname"), (error: SFTPError) => error.code === "ENOTDIR" && error.path === "/etc/hostname");
  // A failed transfer names the path the caller gave, not the temporary one.
  await assert.rejects(sftp.put("/etc/hostname", "/nonexistent-dir/copy"), (error: SFTPError) => error.path === "/nonexistent-dir/copy" && !/shoal-/.test(error.message));
  await assert.rejects(sftp.get("/etc/hostname", "/nonexistent-dir/copy"), (error: Error) => error.message.includes("/nonexistent-dir/copy"));
  assert.equal((await client.run("echo alive")).stdout, "alive\n");
  assert.equal((await sftp.stat("/etc/hostname")).isFile(), true);
});

test("channelTimeout: a channel the server never opens rejects TimeoutError (phase channel)", async () => {
  await using client = await connect({ channelTimeout: 300 });
  const thaw = await freezeServer(client);
  try {
    const started = performance.now();
    await assert.rejects(client.execCommand("true"), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "channel");
    await assert.rejects(client.openSftp(), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "channel");
    assert.ok(performance.now() - started < 2000);
  } finally {
    thaw();
  }
});

test("keepaliveInterval: a server that stops answering is detected and the connection dropped", async () => {
  await using client = await connect({ keepaliveInterval: 100 });
  const transport = client.getTransport()!;
  const thaw = await freezeServer(client);
  try {
    await within(transport.closedPromise, 5000, "the drop after 3 unanswered keepalives");
    assert.equal(transport.isActive(), false);
    await assert.rejects(client.run("true"), /not connected|closed/);
  } finally {
    thaw();
  }
});

test("Transport.setKeepalive: pings are answered while the server lives, and a frozen server is dropped", async () => {
  await using client = await connect();
  const transport = client.getTransport()!;
  transport.setKeepalive(50);
  // Replies to pings must not be taken for the reply to a port-forward request made meanwhile.
  for (let i = 0; i < 5; i++) {
    const port = await transport.requestPortForward("127.0.0.1", 0);
    await transport.cancelPortForward("127.0.0.1", port);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  assert.equal(transport.isActive(), true);
  const thaw = await freezeServer(client);
  try {
    await within(transport.closedPromise, 5000, "the drop after unanswered keepalives");
    assert.equal(transport.isActive(), false);
  } finally {
    thaw();
  }
  assert.throws(() => transport.setKeepalive(-1), /setKeepalive: interval must not be negative/);
});

test("sock: SSH over a socket the caller opened", async () => {
  const socket = net.connect(sshd.port, sshd.host);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  await using client = await connect({ sock: socket, hostname: sshd.host });
  assert.equal((await client.run("echo over-sock")).stdout, "over-sock\n");
  assert.ok(socket.bytesRead > 0 && socket.bytesWritten > 0, "the traffic went through the given socket");
  // paramiko's Transport(sock) too.
  const raw = net.connect(sshd.port, sshd.host);
  await using transport = new Transport({ sock: raw });
  await transport.connect({ username: sshd.user, password: sshd.password });
  assert.equal(transport.isAuthenticated(), true);
  const channel = await transport.openSession();
  await channel.execCommand("echo transport-sock");
  assert.equal(await channel.makefile().text(), "transport-sock\n");
  assert.equal(await channel.recvExitStatus(), 0);
});

test("disabledAlgorithms: a disabled cipher, MAC or kex is never negotiated", async () => {
  await using first = await connect();
  const negotiated = first.getTransport()!.getSecurityOptions()!;
  await using second = await connect({ disabledAlgorithms: { ciphers: [negotiated.cs.cipher], kex: [negotiated.kex] } });
  const other = second.getTransport()!.getSecurityOptions()!;
  assert.notEqual(other.cs.cipher, negotiated.cs.cipher);
  assert.notEqual(other.kex, negotiated.kex);
  assert.equal((await second.run("echo ok")).stdout, "ok\n");
});

test("lookForKeys: ~/.ssh/id_ed25519 (and ~/ssh/) are found; lookForKeys: false skips them", async () => {
  const home = path.join(sshd.dir, "local-home");
  const oldHome = process.env["HOME"];
  try {
    for (const folder of [".ssh", "ssh"]) {
      await rm(home, { recursive: true, force: true });
      await mkdir(path.join(home, folder), { recursive: true });
      await copyFile(sshd.keyPath, path.join(home, folder, "id_ed25519"));
      process.env["HOME"] = home;
      await using found = await connect({ keyFilename: undefined, lookForKeys: true });
      assert.equal((await found.run("whoami")).stdout.trim(), sshd.user, folder);
      await assert.rejects(connect({ keyFilename: undefined, lookForKeys: false }), AuthenticationError);
    }
  } finally {
    process.env["HOME"] = oldHome;
  }
});

test("allowAgent: SSH_AUTH_SOCK's agent is used by default and not with allowAgent: false", async (t) => {
  const socket = path.join(sshd.dir, "agent-default.sock");
  await startSshAgent(t, socket, [sshd.keyPath]);
  const oldSock = process.env["SSH_AUTH_SOCK"];
  process.env["SSH_AUTH_SOCK"] = socket;
  try {
    // allowAgent left to its default (true).
    await using viaAgent = await connect({ keyFilename: undefined, allowAgent: undefined });
    assert.equal((await viaAgent.run("whoami")).stdout.trim(), sshd.user);
    await assert.rejects(connect({ keyFilename: undefined, allowAgent: false }), AuthenticationError);
  } finally {
    if (oldSock === undefined) delete process.env["SSH_AUTH_SOCK"];
    else process.env["SSH_AUTH_SOCK"] = oldSock;
  }
});

test("saveHostKeys(path) writes the known keys; a new client trusts them under RejectPolicy", async () => {
  const file = path.join(sshd.dir, "saved_known_hosts");
  {
    await using client = await connect();
    assert.equal(client.getHostKeys().lookup(`[${sshd.host}]:${sshd.port}`)?.size, 1);
    await client.saveHostKeys(file);
  }
  assert.equal((await readFile(file, "utf8")).trim(), sshd.knownHostsLine);
  const loaded = new HostKeys();
  await loaded.load(file);
  assert.equal(loaded.lookup(`[${sshd.host}]:${sshd.port}`)?.size, 1);
  await using strict = new SSHClient();
  strict.setMissingHostKeyPolicy(new RejectPolicy());
  await strict.loadSystemHostKeys(file);
  await strict.connect(base());
  assert.equal((await strict.run("echo trusted")).stdout, "trusted\n");
  // System keys are consulted, never written back.
  await strict.saveHostKeys(path.join(sshd.dir, "empty_known_hosts"));
  assert.equal(await readFile(path.join(sshd.dir, "empty_known_hosts"), "utf8"), "");
});

test("run timeout: a process that left the session's group cannot hold the call past its deadline", async () => {
  await using client = await connect();
  const pidFile = path.join(sshd.workDir, "escaped.pid");
  const started = performance.now();
  await assert.rejects(client.run(`setsid sleep 30 & echo $! > ${pidFile}; sleep 31`, { timeout: 300 }), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "command");
  const elapsed = performance.now() - started;
  const escaped = Number(await readFile(pidFile, "utf8"));
  process.kill(escaped, "SIGKILL");
  assert.ok(elapsed < 1200, `rejected after ${Math.round(elapsed)} ms`); // the old KILL-then-wait took 1.3 s and more
  // The session's own process group was killed: nothing of it is left.
  assert.equal((await client.run("pgrep -x -f 'sleep 31' || echo none")).stdout, "none\n");
});

test("a server killed in the middle of an upload: the put rejects, no file under the real name, retry works", async () => {
  const data = Buffer.alloc(16 * 1024 * 1024, 7);
  const source = path.join(sshd.dir, "killed.bin");
  await writeFile(source, data);
  const target = path.join(sshd.workDir, "killed.bin");
  await using victim = await connect();
  const pid = Number((await victim.run("echo $PPID")).stdout);
  await using sftp = await victim.openSftp();
  let killed = false;
  await assert.rejects(
    sftp.put(source, target, {
      callback: (sent) => {
        if (!killed && sent > data.length / 4) {
          killed = true;
          process.kill(pid, "SIGKILL");
        }
      },
    }),
    (error: unknown) => error instanceof SFTPError || error instanceof SSHException,
  );
  assert.ok(killed);
  assert.ok(!existsSync(target));
  await using again = await connect();
  await using retry = await again.openSftp();
  assert.equal((await retry.put(source, target)).stSize, data.length);
  assert.equal((await readdir(sshd.workDir)).filter((name) => name === "killed.bin").length, 1);
});

test("put confirm: a size that differs from what was announced is refused, and nothing takes the real name", async () => {
  await using client = await connect();
  await using sftp = await client.openSftp();
  const target = path.join(sshd.workDir, "confirm.txt");
  await assert.rejects(
    sftp.putfo(Readable.from([Buffer.from("ten bytes!")]), target, { fileSize: 999 }),
    (error: unknown) => error instanceof SFTPError && error.path === target && /size mismatch/.test(error.message),
  );
  assert.ok(!existsSync(target));
  assert.deepEqual((await readdir(sshd.workDir)).filter((name) => name.includes("confirm")), [], "the temporary file is removed");
  // confirm: false skips the check.
  await sftp.putfo(Readable.from([Buffer.from("ten bytes!")]), target, { fileSize: 999, confirm: false });
  assert.equal(await readFile(target, "utf8"), "ten bytes!");
});

test("execCommand signal: aborting kills the command and ends its files", async () => {
  await using client = await connect();
  const controller = new AbortController();
  const { stdout } = await client.execCommand("echo started; sleep 30; echo never", { signal: controller.signal });
  assert.equal(await stdout.readline(), "started\n");
  const started = performance.now();
  controller.abort();
  assert.equal(await stdout.text(), "");
  assert.equal((await stdout.channel.recvExit()).exitStatus === 0, false);
  assert.ok(performance.now() - started < 2000);
  await assert.rejects(client.execCommand("true", { signal: AbortSignal.abort() }), { name: "AbortError" });
  assert.equal((await client.run("echo alive")).stdout, "alive\n");
});
