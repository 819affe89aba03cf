/**
 * Round trips and server work that ssh2 spends on every connection and shoal does without.
 * Both reach into ssh2's protocol object; if its internals differ, nothing is changed.
 */
import type { Client, ParsedKey } from "ssh2";

type SignedAuthPK = (username: string, key: ParsedKey, keyAlgo: string | undefined, sign?: (data: Buffer, done: (signature: Buffer) => void) => void) => void;

type GlobalRequestHandler = (protocol: unknown, name: string, wantReply: boolean, data: unknown) => void;

interface ProtocolInternals {
  authPK?: SignedAuthPK;
  _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler };
}

function protocolOf(client: Client): ProtocolInternals | undefined {
  return (client as unknown as { _protocol?: ProtocolInternals })._protocol;
}

/**
 * A public key whose private half we hold is offered signed in the first request. ssh2 (like
 * OpenSSH's client) first asks whether the key would do and signs after the server's `PK_OK`: one
 * more round trip, and one more authorized_keys scan by sshd, on every connection. RFC 4252 §7
 * allows the signed request at once; a refusal is the same `USERAUTH_FAILURE` either way.
 * Call it right after `client.connect()`.
 */
export function signPublickeyAtOnce(client: Client): void {
  const protocol = protocolOf(client);
  if (!protocol || typeof protocol.authPK !== "function") return;
  const authPK = protocol.authPK.bind(protocol);
  protocol.authPK = (username, key, keyAlgo, sign) => {
    if (sign !== undefined || typeof keyAlgo === "function" || typeof key?.isPrivateKey !== "function" || !key.isPrivateKey()) {
      return authPK(username, key, keyAlgo, sign);
    }
    const hash = keyAlgo === "rsa-sha2-512" ? "sha512" : keyAlgo === "rsa-sha2-256" ? "sha256" : undefined;
    return authPK(username, key, keyAlgo, (data, done) => {
      const signature = key.sign(data, hash);
      // A key that cannot sign must still end the attempt (the server refuses an empty signature)
      // rather than leave the login waiting for a callback that never comes.
      done(signature instanceof Error ? Buffer.alloc(0) : signature);
    });
  };
}

/**
 * Lets OpenSSH's host-key announcement (`hostkeys-00@openssh.com`, sent after every login) pass
 * unanswered. ssh2 answers it on its own by asking the server to prove it holds each announced key:
 * a signature per host key for sshd (an RSA one costs it milliseconds), one verification each for
 * us, and a round trip, on every connection, for an `'hostkeys'` event nobody here listens to.
 * OpenSSH's client asks only when `UpdateHostKeys` is on, paramiko never. Call it right after
 * `client.connect()`.
 */
export function skipHostKeyProofs(client: Client): void {
  const handlers = protocolOf(client)?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof original !== "function") return;
  handlers.GLOBAL_REQUEST = (protocol, name, wantReply, data) => {
    // OpenSSH sends it without asking for a reply; one that asks is answered as before.
    if (name === "hostkeys-00@openssh.com" && !wantReply) return;
    original(protocol, name, wantReply, data);
  };
}
