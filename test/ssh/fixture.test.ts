/**
 * The sshd fixture itself: one sshd answering on many loopback addresses (listenAll), extra config
 * overriding the defaults, and a clean stop.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import net from "node:net";
import { test } from "node:test";
import { AutoAddPolicy, SSHClient } from "../../src/ssh/index.js";
import { startSshd } from "../fixtures/sshd.js";

test("listenAll: one sshd answers on 127.0.0.1, 127.0.0.2 and 127.0.1.7", async (t) => {
  const sshd = await startSshd({ listenAll: true, maxStartups: 100, extraConfig: ["MaxAuthTries 3"] });
  t.after(() => sshd.stop());
  for (const address of ["127.0.0.1", "127.0.0.2", "127.0.1.7"]) {
    await using client = new SSHClient();
    client.setMissingHostKeyPolicy(AutoAddPolicy);
    await client.connect({ hostname: address, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
    assert.equal((await client.run("echo $SSH_CONNECTION")).stdout.split(" ")[2], address);
  }
});

test("stop() frees the port and is safe to call twice", async () => {
  const sshd = await startSshd();
  await sshd.stop();
  await sshd.stop();
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(sshd.port, sshd.host, () => {
        socket.destroy();
        resolve();
      });
      socket.on("error", reject);
    }),
    /ECONNREFUSED/,
  );
});

test("stop() also ends the per-connection sshd processes, then removes its directory", async () => {
  const sshd = await startSshd();
  const client = new SSHClient();
  client.setMissingHostKeyPolicy(AutoAddPolicy);
  await client.connect({ hostname: sshd.host, port: sshd.port, username: sshd.user, keyFilename: sshd.keyPath, allowAgent: false, lookForKeys: false });
  // The shell's parent is the sshd process serving this connection; it outlived the master before.
  const sessionPid = Number((await client.run("echo $PPID")).stdout.trim());
  assert.ok(sessionPid > 0);
  // Connections still being accepted while stop() runs: their processes re-created sshd.log in the
  // directory being removed, and stop() failed with ENOTEMPTY about one time in seven.
  const opening = Array.from({ length: 10 }, () => net.connect(sshd.port, sshd.host).on("error", () => {}));
  await sshd.stop();
  for (const socket of opening) socket.destroy();
  client.close();
  assert.throws(() => process.kill(sessionPid, 0), { code: "ESRCH" });
  assert.equal(existsSync(sshd.dir), false);
  for (let i = 0; i < 10; i++) {
    const again = await startSshd();
    const sockets = Array.from({ length: 10 }, () => net.connect(again.port, again.host).on("error", () => {}));
    await again.stop();
    for (const socket of sockets) socket.destroy();
    assert.equal(existsSync(again.dir), false);
  }
});
