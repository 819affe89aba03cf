/**
 * Transport (paramiko's step-by-step API), keyboard-interactive through PAM, port forwarding, and
 * the timeouts of each connection phase.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import net from "node:net";
import { Readable } from "node:stream";
import { after, before, test, type TestContext } from "node:test";
import ssh2 from "ssh2";
import {
  AuthenticationError,
  AutoAddPolicy,
  BadAuthenticationType,
  BadHostKeyError,
  NoValidConnectionsError,
  PKey,
  SFTPClient,
  SSHClient,
  SSHTimeoutError,
  Transport,
} from "../../src/ssh/index.js";
import { startSilentListener, startSshd } from "../fixtures/sshd.js";
import { generateOpenSshKeyPair } from "../../src/ssh/keygen.js";
import type { Channel } from "../../src/ssh/index.js";
import type { Sshd } from "../fixtures/sshd.js";

let sshd: Sshd;
let pamSshd: Sshd;

before(async () => {
    // PAM is the only way OpenSSH offers keyboard-interactive; with password auth off, it is the only method.
  [sshd, pamSshd] = await Promise.all([startSshd(), startSshd({ usePam: true, extraConfig: ["PasswordAuthentication no"] })]);
});
after(async () => {
  await sshd?.stop();
  await pamSshd?.stop();
});

test("Transport: connect with a password, then SFTP (the lesson's example)", async () => {
  const transport = new Transport([sshd.host, sshd.port]);
  await transport.connect({ username: sshd.user, password: sshd.password });
  assert.equal(transport.isActive(), true);
  assert.equal(transport.isAuthenticated(), true);
  assert.equal(transport.getUsername(), sshd.user);
  assert.equal(transport.getRemoteServerKey().fingerprint, sshd.hostKeyFingerprint);
  assert.deepEqual(transport.getpeername(), [sshd.host, sshd.port]);
  assert.equal(transport.getSecurityOptions()?.cs.cipher, "aes128-gcm@openssh.com");
  const sftp = await SFTPClient.fromTransport(transport);
  assert.equal(await sftp.normalize("."), sshd.home);
  await transport.close();
  assert.equal(transport.isActive(), false);
  await transport.close();
});

test("Transport: startClient, then auth step by step; authNone tells the allowed methods", async () => {
  await using transport = new Transport(`${sshd.host}:${sshd.port}`);
  await transport.startClient();
  await assert.rejects(transport.authNone(sshd.user), (error: unknown) => {
    assert.ok(error instanceof BadAuthenticationType);
    assert.ok(error.allowedTypes.includes("publickey") && error.allowedTypes.includes("password"));
    return true;
  });
  await assert.rejects(transport.authPassword(sshd.user, "wrong"), AuthenticationError);
  assert.deepEqual(await transport.authPublickey(sshd.user, await PKey.fromPrivateKeyFile(sshd.keyPath)), []);
  const channel = await transport.openSession();
  await channel.execCommand("echo via-transport");
  assert.equal(await channel.makefile().text(), "via-transport\n");
  assert.equal(await channel.recvExitStatus(), 0);
});

test("Transport: connect({ hostkey }) refuses a different key", async () => {
  const transport = new Transport([sshd.host, sshd.port]);
  await assert.rejects(transport.connect({ username: sshd.user, password: sshd.password, hostkey: PKey.generateKey("ed25519") }), BadHostKeyError);
  await transport.close();
  const good = new Transport([sshd.host, sshd.port]);
  await good.connect({ username: sshd.user, password: sshd.password, hostkey: PKey.fromPublicKey(sshd.hostPublicKeys[0]!) });
  await good.close();
});

test("keyboard-interactive answers the prompts (sshd with PAM)", async () => {
  await using transport = new Transport([pamSshd.host, pamSshd.port]);
  await transport.startClient();
  const prompts: string[] = [];
  await transport.authInteractive(pamSshd.user, (_title, _instructions, list) => {
    prompts.push(...list.map((p) => p.prompt));
    return list.map(() => pamSshd.password);
  });
  assert.ok(prompts.some((p) => /password/i.test(p)), String(prompts));
  // SSHClient falls back to keyboard-interactive with the password when "password" is not offered.
  await using probe = new Transport([pamSshd.host, pamSshd.port]);
  await probe.startClient();
  await assert.rejects(probe.authNone(pamSshd.user), (error: unknown) => {
    assert.ok(error instanceof BadAuthenticationType);
    assert.ok(!error.allowedTypes.includes("password") && error.allowedTypes.includes("keyboard-interactive"), String(error.allowedTypes));
    return true;
  });
  await using client = new SSHClient();
  client.setMissingHostKeyPolicy(AutoAddPolicy);
  await client.connect({
    hostname: pamSshd.host,
    port: pamSshd.port,
    username: pamSshd.user,
    password: pamSshd.password,
    allowAgent: false,
    lookForKeys: false,
    disabledAlgorithms: { ciphers: ["aes256-gcm@openssh.com"] },
  });
  assert.equal((await client.run("echo kbd")).stdout, "kbd\n");
});

test("authInteractiveDumb asks the prompts on stdout and reads the answers from stdin (a real process)", async () => {
  const ssh = new URL("../../src/ssh/index.js", import.meta.url).href;
  const script = `
    const { Transport } = await import(${JSON.stringify(ssh)});
    const t = new Transport([${JSON.stringify(pamSshd.host)}, ${pamSshd.port}]);
    await t.startClient();
    await t.authInteractiveDumb(${JSON.stringify(pamSshd.user)});
    console.log("\\nauthenticated:", t.isAuthenticated());
    await t.close();
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stdin.end(`${pamSshd.password}\n`);
  const code = await new Promise((resolve) => child.once("close", resolve));
  assert.equal(code, 0, out);
  assert.match(out, /password: ?\n?authenticated: true/i);
});

/** Every chunk a command writes to stdout, as ssh2 hands them over (one per SSH packet). */
async function chunksOf(channel: Channel): Promise<number[]> {
  const sizes: number[] = [];
  await new Promise<void>((resolve, reject) => {
    channel.stream!.on("data", (chunk: Buffer) => sizes.push(chunk.length));
    channel.stream!.once("end", resolve);
    channel.stream!.once("error", reject);
  });
  return sizes;
}

test("openSession({ maxPacketSize, windowSize }): sent in the channel-open request, honoured by the server", async () => {
  await using transport = new Transport([sshd.host, sshd.port]);
  await transport.connect({ username: sshd.user, password: sshd.password });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  const small = await transport.openSession({ maxPacketSize: 1024 });
  await small.execCommand("head -c 200000 /dev/zero");
  const smallChunks = await chunksOf(small);
  assert.equal(sum(smallChunks), 200000);
  assert.ok(Math.max(...smallChunks) <= 1024, `no packet over 1024 bytes: got ${Math.max(...smallChunks)}`);

  const plain = await transport.openSession();
  await plain.execCommand("head -c 200000 /dev/zero");
  assert.ok(Math.max(...(await chunksOf(plain))) > 1024, "without it, sshd sends ssh2's 32 KiB packets");

  // A window of 8 MiB, kept topped up: 20 MB arrive whole.
  const wide = await transport.openSession({ windowSize: 8 * 1024 * 1024 });
  await wide.execCommand("head -c 20000000 /dev/zero");
  assert.equal(sum(await chunksOf(wide)), 20000000);
  // cat waits for input: nothing is counted against the window yet, which is all 8 MiB.
  const idle = await transport.openSession({ windowSize: 8 * 1024 * 1024 });
  await idle.execCommand("cat");
  assert.equal((idle.stream as unknown as { incoming: { window: number } }).incoming.window, 8 * 1024 * 1024);
  await idle.close();

  await assert.rejects(transport.openSession({ windowSize: 65536 }), /Transport.openSession: windowSize must be an integer from 2097152 \(2 MiB, ssh2's own window\)/);
  await assert.rejects(transport.openSession({ maxPacketSize: 65536 }), /Transport.openSession: maxPacketSize must be an integer from 1 to 32768: got number 65536/);
  await assert.rejects(SFTPClient.fromTransport(transport, { maxPacketSize: 0 }), /SFTPClient.fromTransport: maxPacketSize must be an integer from 1 to 32768: got number 0/);

  // SFTP: packets of at most 4 KiB still carry a whole 100 KB read.
  const sftp = await SFTPClient.fromTransport(transport, { maxPacketSize: 4096, windowSize: 4 * 1024 * 1024 });
  await sftp.putfo(Readable.from([Buffer.alloc(100_000, 7)]), "window-test.bin");
  const file = await sftp.open("window-test.bin", "r");
  assert.equal((await file.read()).length, 100_000);
  await file.close();
  await sftp.remove("window-test.bin");
});

test("Channel.close() returns while the command still runs, unread output and all (it used to wait for the command)", async () => {
  await using transport = new Transport([sshd.host, sshd.port]);
  await transport.connect({ username: sshd.user, password: sshd.password });
  for (const command of ["sleep 60", "cat", "head -c 10000000 /dev/zero; sleep 60"]) {
    const channel = await transport.openSession();
    await channel.execCommand(command);
    await channel.close();
    assert.equal(channel.closed, true, command);
  }
  // The transport still serves.
  const after = await transport.openSession();
  await after.execCommand("echo still here");
  assert.equal(String(await after.recv(100)), "still here\n");
});

test("direct-tcpip channel and remote port forwarding", async () => {
  const echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const echoPort = (echo.address() as net.AddressInfo).port;
  try {
    await using transport = new Transport([sshd.host, sshd.port]);
    await transport.connect({ username: sshd.user, password: sshd.password });
    // paramiko's way: send, recv until the echo is whole, then EOF.
    const tunnel = await transport.openChannel("direct-tcpip", ["127.0.0.1", echoPort]);
    assert.equal(tunnel.send("ping"), 4);
    let echoed = "";
    while (echoed.length < 4) echoed += String(await tunnel.recv(1024));
    assert.equal(echoed, "ping");
    tunnel.shutdownWrite();
    assert.equal((await tunnel.recv(1024)).length, 0, "EOF after the echo server closes its side");
    await tunnel.close();
    assert.equal(tunnel.closed, true);

    // Its stream is a plain duplex.
    const raw = (await transport.openChannel("direct-tcpip", ["127.0.0.1", echoPort])).stream!;
    raw.end("pong");
    let streamed = "";
    for await (const chunk of raw) streamed += String(chunk);
    assert.equal(streamed, "pong");

    const accepted: Array<[string, number]> = [];
    const reached: Array<[string, number]> = [];
    const port = await transport.requestPortForward("127.0.0.1", 0, (channel, origin, server) => {
      accepted.push(origin);
      reached.push(server);
      channel.send("hello from the client side");
      channel.shutdownWrite();
    });
    assert.ok(port > 0);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => (text += String(chunk)));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    assert.equal(reply, "hello from the client side");
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]![0], "127.0.0.1");
    assert.deepEqual(reached, [["127.0.0.1", port]]);
    await transport.cancelPortForward("127.0.0.1", port);
  } finally {
    echo.close();
  }
});

test("setKeepalive and renegotiateKeys keep the connection working", async () => {
  await using transport = new Transport([sshd.host, sshd.port]);
  await transport.connect({ username: sshd.user, password: sshd.password });
  transport.setKeepalive(20);
  await new Promise((resolve) => setTimeout(resolve, 80));
  await transport.renegotiateKeys();
  transport.setKeepalive(0);
  const channel = await transport.openSession();
  await channel.execCommand("echo still");
  assert.equal(await channel.makefile().text(), "still\n");
});

test("useCompression: zlib is negotiated, and data crosses compressed; refused once started", async () => {
  await using plain = new Transport([sshd.host, sshd.port]);
  await plain.connect({ username: sshd.user, password: sshd.password });
  assert.equal(plain.getSecurityOptions()?.cs.compress, "none");
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(sshd.port, sshd.host, () => resolve(socket)).once("error", reject);
  });
  await using transport = new Transport(sock);
  transport.useCompression();
  await transport.connect({ username: sshd.user, password: sshd.password });
  const negotiated = transport.getSecurityOptions()!;
  assert.match(negotiated.cs.compress, /^zlib/);
  assert.match(negotiated.sc.compress, /^zlib/);
  const channel = await transport.openSession();
  await channel.execCommand("yes shoal | head -c 3000000");
  assert.equal((await channel.makefile().read()).length, 3_000_000);
  assert.ok(sock.bytesRead < 300_000, `3 MB of "shoal\\n" arrived in ${sock.bytesRead} bytes`);
  assert.throws(() => transport.useCompression(false), /already started/);
});

test("timeout: TCP connect (a listener whose backlog is full)", async (t) => {
  // A listener that never accepts, with a backlog of 0: once it holds one pending connection, the
  // kernel drops further SYNs, so connect() hangs as with an unreachable host.
  const python = spawn("/usr/bin/python3", ["-c", "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(() => python.kill());
  const port = Number(await new Promise<string>((resolve) => python.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
  const fillers = [net.connect(port, "127.0.0.1"), net.connect(port, "127.0.0.1")];
  t.after(() => fillers.forEach((s) => s.destroy()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const client = new SSHClient();
  const start = performance.now();
  await assert.rejects(client.connect({ hostname: "127.0.0.1", port, username: "x", password: "x", timeout: 300 }), (error: unknown) => {
    assert.ok(error instanceof SSHTimeoutError, String(error));
    assert.equal(error.phase, "connect");
    return true;
  });
  assert.ok(performance.now() - start < 3000);
});

test("timeout: banner (a listener that accepts and never sends one)", async () => {
  const silent = await startSilentListener();
  try {
    const client = new SSHClient();
    const start = performance.now();
    await assert.rejects(
      client.connect({ hostname: silent.host, port: silent.port, username: "x", password: "x", timeout: 1000, bannerTimeout: 250 }),
      (error: unknown) => error instanceof SSHTimeoutError && error.phase === "banner" && error.name === "TimeoutError",
    );
    assert.ok(performance.now() - start < 3000);
    assert.equal(silent.accepted, 1);
  } finally {
    await silent.stop();
  }
});

test("timeout: without bannerTimeout, paramiko's default bounds the wait (never a hang)", async (t) => {
  assert.equal(SSHClient.defaultTimeouts.bannerTimeout, 15_000);
  assert.equal(SSHClient.defaultTimeouts.authTimeout, 30_000);
  const saved = { ...SSHClient.defaultTimeouts };
  SSHClient.defaultTimeouts.bannerTimeout = 250; // the default, lowered so that the test is quick
  t.after(() => Object.assign(SSHClient.defaultTimeouts, saved));
  const silent = await startSilentListener();
  t.after(() => silent.stop());
  await assert.rejects(
    new SSHClient().connect({ hostname: silent.host, port: silent.port, username: "x", password: "x" }),
    (error: unknown) => error instanceof SSHTimeoutError && error.phase === "banner",
  );
});

/** ssh2's own server: a real SSH server whose authentication handler never decides. Its port. */
async function startUndecidedAuthServer(t: TestContext): Promise<number> {
  const hostKey = generateOpenSshKeyPair("ed25519").private;
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (connection) => {
    connection.on("error", () => {});
    connection.on("authentication", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  return port;
}

test("timeout: auth (a server that never answers the auth request)", async (t) => {
  const port = await startUndecidedAuthServer(t);
  const client = new SSHClient();
  client.setMissingHostKeyPolicy(AutoAddPolicy);
  const start = performance.now();
  await assert.rejects(
    client.connect({ hostname: "127.0.0.1", port, username: "x", password: "x", allowAgent: false, lookForKeys: false, authTimeout: 300 }),
    (error: unknown) => error instanceof SSHTimeoutError && error.phase === "auth",
  );
  assert.ok(performance.now() - start < 3000);
});

test("Transport authTimeout: an auth request the server never answers rejects SSHTimeoutError and closes the transport", async (t) => {
  const port = await startUndecidedAuthServer(t);
  const transport = new Transport(["127.0.0.1", port], { authTimeout: 300 });
  t.after(() => transport.close());
  await transport.startClient();
  const start = performance.now();
  await assert.rejects(transport.authPassword("x", "x"), (error: unknown) => error instanceof SSHTimeoutError && error.phase === "auth");
  assert.ok(performance.now() - start < 3000);
  assert.equal(transport.isActive(), false);
  await assert.rejects(new Transport(["127.0.0.1", port], { authTimeout: -1 }).startClient(), /Transport: authTimeout must not be negative/);
});

test("a refused connection rejects NoValidConnectionsError (as paramiko), for one address or several", async () => {
  const silent = await startSilentListener();
  const port = silent.port;
  await silent.stop();
  await assert.rejects(new SSHClient().connect({ hostname: "127.0.0.1", port, username: "x", password: "x" }), (error: unknown) => {
    assert.ok(error instanceof NoValidConnectionsError, String(error));
    assert.equal(error.message, `Unable to connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    assert.equal((error.byAddress.get(`127.0.0.1:${port}`) as NodeJS.ErrnoException).code, "ECONNREFUSED");
    assert.equal(error.errors.length, 1);
    return true;
  });
  // A name with several addresses: every one is tried, and the error lists them all.
  const addresses = await lookup("localhost", { all: true });
  await assert.rejects(new SSHClient().connect({ hostname: "localhost", port, username: "x", password: "x" }), (error: unknown) => {
    assert.ok(error instanceof NoValidConnectionsError);
    assert.equal(error.byAddress.size, addresses.length);
    return true;
  });
});
