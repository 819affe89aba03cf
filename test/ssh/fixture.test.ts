/**
 * The sshd fixture itself: one sshd answering on many loopback addresses (listenAll), extra config
 * overriding the defaults, and a clean stop.
 */
import assert from "node:assert/strict";
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
