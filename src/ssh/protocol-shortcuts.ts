/**
 * Round trips and server work that ssh2 spends on every connection and shoal does without.
 * Both reach into ssh2's protocol object; if its internals differ, nothing is changed.
 */
import { createRequire } from "node:module";
import type { Client, ParsedKey } from "ssh2";

type SignedAuthPK = (username: string, key: ParsedKey, keyAlgo: string | undefined, sign?: (data: Buffer, done: (signature: Buffer) => void) => void) => void;

type GlobalRequestHandler = (protocol: unknown, name: string, wantReply: boolean, data: unknown) => void;

/** ssh2's KexInit (the offer it sends): its lists, and its constructor to make another. */
interface KexOffer {
  constructor: new (lists: unknown) => KexOffer;
  lists: {
    kex: { array: string[] };
    serverHostKey: { buffer: Buffer };
    cs: Record<"cipher" | "mac" | "compress" | "lang", { buffer: Buffer }>;
    sc: Record<"cipher" | "mac" | "compress" | "lang", { buffer: Buffer }>;
  };
}

interface ProtocolInternals {
  authPK?: SignedAuthPK;
  _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler };
  _onHeader?: (header: { versions?: { software?: string } }) => void;
  _offer?: KexOffer;
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
  const protocol = protocolOf(client);
  const handlers = protocol?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (!protocol || !handlers || typeof original !== "function") return;
  handlers.GLOBAL_REQUEST = (p, name, wantReply, data) => {
    // OpenSSH sends it without asking for a reply; one that asks is answered as before.
    if (name === "hostkeys-00@openssh.com" && !wantReply) return;
    original(p, name, wantReply, data);
  };
  // ssh2 parses every announced key before that handler sees the request (a third of a
  // millisecond per login): the message is dropped before parsing too.
  if (dropUnparsedHostKeys()) announcementsIgnored.add(protocol);
}

/** Protocols whose unanswered host-key announcements are dropped before ssh2 parses them. */
const announcementsIgnored = new WeakSet<object>();
let messageHandlersWrapped: boolean | undefined;
let announcementsDropped = 0;

/** How many host-key announcements this process dropped unparsed (for tests). @internal */
export function droppedHostKeyAnnouncements(): number {
  return announcementsDropped;
}

const GLOBAL_REQUEST = 80;
const HOSTKEYS_REQUEST = Buffer.from("hostkeys-00@openssh.com");

/** Wraps ssh2's handler of GLOBAL_REQUEST messages once; false if its internals differ. */
function dropUnparsedHostKeys(): boolean {
  if (messageHandlersWrapped !== undefined) return messageHandlersWrapped;
  messageHandlersWrapped = false;
  let table: unknown;
  try {
    table = createRequire(import.meta.url)("ssh2/lib/protocol/handlers.js");
  } catch {
    return false;
  }
  if (!Array.isArray(table) || typeof table[GLOBAL_REQUEST] !== "function") return false;
  const handlers = table as Array<(protocol: object, payload: Buffer) => unknown>;
  const parse = handlers[GLOBAL_REQUEST]!;
  handlers[GLOBAL_REQUEST] = (protocol, payload) => {
    if (announcementsIgnored.has(protocol) && isUnansweredHostKeys(payload)) {
      announcementsDropped++;
      return undefined;
    }
    return parse(protocol, payload);
  };
  return (messageHandlersWrapped = true);
}

/** byte 80, string "hostkeys-00@openssh.com", boolean want_reply = false, keys... (RFC 4254 §4). */
export function isUnansweredHostKeys(payload: Buffer): boolean {
  const n = HOSTKEYS_REQUEST.length;
  return payload.length > 5 + n && payload.readUInt32BE(1) === n && payload[5 + n] === 0 && payload.compare(HOSTKEYS_REQUEST, 0, n, 5, 5 + n) === 0;
}

/**
 * Against OpenSSH, ECDH on NIST P-256 before curve25519. sshd computes curve25519 with its portable
 * reference code (smult_curve25519_ref.c, 8-bit limbs): about 2 ms of server CPU per connection on
 * this machine, a tenth of all sshd spends on a login, where P-256 goes through OpenSSL's assembly.
 * Both give 128-bit security, and which one is used is the client's to choose (the first of its
 * list the server has). The choice is made per server, from its banner, which ssh2 reads before it
 * sends its own list: other servers keep curve25519 first (dropbear's P-256 is the slow one there).
 * Only the order changes. Call it right after `client.connect()`, when the kex list is shoal's own.
 */
export function preferCheapKexOnOpenSsh(client: Client): void {
  const protocol = protocolOf(client);
  const onHeader = protocol?._onHeader;
  if (!protocol || typeof onHeader !== "function" || !Array.isArray(protocol._offer?.lists?.kex?.array)) return;
  protocol._onHeader = (header) => {
    if (/^OpenSSH[_-]/.test(header?.versions?.software ?? "")) {
      const reordered = cheapKexFirst(protocol._offer!);
      if (reordered) protocol._offer = reordered;
    }
    onHeader(header);
  };
}

/** The offer with ecdh-sha2-nistp256 moved before the first curve25519; undefined when nothing moves. */
function cheapKexFirst(offer: KexOffer): KexOffer | undefined {
  const kex = offer.lists.kex.array;
  const p256 = kex.indexOf("ecdh-sha2-nistp256");
  const x25519 = kex.findIndex((name) => name.startsWith("curve25519"));
  if (p256 < 0 || x25519 < 0 || p256 < x25519) return undefined;
  const reordered = kex.filter((name) => name !== "ecdh-sha2-nistp256");
  reordered.splice(x25519, 0, "ecdh-sha2-nistp256");
  const { lists } = offer;
  const side = (list: KexOffer["lists"]["cs"]) => ({ cipher: list.cipher.buffer, mac: list.mac.buffer, compress: list.compress.buffer, lang: list.lang.buffer });
  try {
    return new offer.constructor({ kex: reordered, serverHostKey: lists.serverHostKey.buffer, cs: side(lists.cs), sc: side(lists.sc) });
  } catch {
    return undefined; // ssh2's offer is not what this expects: keep it as it is
  }
}
