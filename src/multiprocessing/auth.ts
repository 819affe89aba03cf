/**
 * The authkey handshake of `multiprocessing.connection` (`deliver_challenge` / `answer_challenge`),
 * run both ways before anything else crosses a connection: the side that accepted challenges first,
 * then the side that connected. Only raw byte frames of at most 256 bytes are read during it: nothing
 * is deserialized before both sides have proven they know the key.
 *
 * Format (as CPython >= 3.12; the legacy HMAC-MD5 of older Pythons is answered and accepted, so a
 * Python peer with the same key interoperates):
 *   challenger → "#CHALLENGE#{sha256}" + 40 random bytes
 *   answerer   → "{sha256}" + HMAC-SHA256(authkey, "{sha256}" + random bytes)
 *   challenger → "#WELCOME#" or "#FAILURE#"
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Connection } from "./connection.js";
import { AuthenticationError } from "./errors.js";

const CHALLENGE = Buffer.from("#CHALLENGE#");
const WELCOME = Buffer.from("#WELCOME#");
const FAILURE = Buffer.from("#FAILURE#");
const DIGEST_PREFIX = Buffer.from("{sha256}");
const MESSAGE_LENGTH = 40;
/** The longest handshake frame accepted (Python reads them with `recv_bytes(256)`). */
const HANDSHAKE_MAX = 256;

const DIGESTS = new Set(["sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "md5"]);

/** The digest named by a `{name}` prefix, or undefined for a legacy (unprefixed) message. */
function digestOf(bytes: Buffer): { name: string; payload: Buffer } | undefined {
  if (bytes[0] !== 0x7b) return undefined; // "{"
  const end = bytes.indexOf(0x7d, 1); // "}"
  if (end < 0 || end > 20) return undefined;
  const name = bytes.subarray(1, end).toString("latin1");
  return DIGESTS.has(name) ? { name, payload: bytes.subarray(end + 1) } : undefined;
}

function hmac(name: string, authkey: Uint8Array, message: Buffer): Buffer {
  return createHmac(name.replace("sha3_", "sha3-"), authkey).update(message).digest();
}

/**
 * The answer to a challenge: `{name}` + HMAC with the digest the challenge names; for a legacy
 * challenge without a prefix (Python < 3.12), the raw HMAC-MD5 that Python expects.
 */
function response(authkey: Uint8Array, message: Buffer): Buffer {
  const digest = digestOf(message);
  if (digest === undefined) return hmac("md5", authkey, message);
  return Buffer.concat([Buffer.from(`{${digest.name}}`), hmac(digest.name, authkey, message)]);
}

/** Whether `answer` is a right answer to our (sha256) challenge; legacy HMAC-MD5 answers are accepted, as Python does. */
function verify(authkey: Uint8Array, message: Buffer, answer: Buffer): boolean {
  const digest = digestOf(answer);
  const expected = digest === undefined ? hmac("md5", authkey, message) : hmac(digest.name, authkey, message);
  const got = digest === undefined ? answer : digest.payload;
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function recvHandshake(conn: Connection, what: string): Promise<Buffer> {
  let frame: Buffer;
  try {
    frame = await conn.recvFrame("authenticate");
  } catch (error) {
    const detail = error instanceof Error ? `: ${error.message}` : "";
    throw new AuthenticationError(`Cannot authenticate: no valid ${what} arrived${detail}`, { cause: error });
  }
  if (frame.length > HANDSHAKE_MAX) {
    throw new AuthenticationError(`Cannot authenticate: the ${what} is ${frame.length} bytes long, more than ${HANDSHAKE_MAX}`);
  }
  return frame;
}

/**
 * Runs the handshake both ways (`challengeFirst`: the accepting side). Frames over 256 bytes are
 * refused while it runs, before any byte of them is buffered.
 */
export async function authenticate(conn: Connection, authkey: Uint8Array, challengeFirst: boolean): Promise<void> {
  // Each side receives three handshake frames: an answer, a challenge and a verdict.
  conn.limitNextMessages(3, HANDSHAKE_MAX);
  if (challengeFirst) {
    await deliverChallenge(conn, authkey);
    await answerChallenge(conn, authkey);
  } else {
    await answerChallenge(conn, authkey);
    await deliverChallenge(conn, authkey);
  }
}

/** Challenges the peer to prove it knows `authkey`. Rejects `AuthenticationError` when it does not. */
export async function deliverChallenge(conn: Connection, authkey: Uint8Array): Promise<void> {
  const message = Buffer.concat([DIGEST_PREFIX, randomBytes(MESSAGE_LENGTH)]);
  await conn.sendBytes(Buffer.concat([CHALLENGE, message]));
  const answer = await recvHandshake(conn, "answer to our challenge");
  if (verify(authkey, message, answer)) {
    await conn.sendBytes(WELCOME);
    return;
  }
  await conn.sendBytes(FAILURE).catch(() => undefined);
  throw new AuthenticationError("Cannot authenticate peer: digest received was wrong");
}

/** Answers the peer's challenge with `authkey`. Rejects `AuthenticationError` when refused. */
export async function answerChallenge(conn: Connection, authkey: Uint8Array): Promise<void> {
  const challenge = await recvHandshake(conn, "challenge");
  if (!challenge.subarray(0, CHALLENGE.length).equals(CHALLENGE)) {
    throw new AuthenticationError("Cannot authenticate: the peer did not send a challenge (is it a shoal Listener with an authkey?)");
  }
  await conn.sendBytes(response(authkey, challenge.subarray(CHALLENGE.length)));
  const verdict = await recvHandshake(conn, "verdict on our answer");
  if (!verdict.equals(WELCOME)) throw new AuthenticationError("Cannot authenticate: digest sent was rejected (wrong authkey)");
}

/** Checks an `authkey` option: bytes (a Buffer, a Uint8Array or a string's UTF-8), or undefined. */
export function toAuthkey(authkey: Uint8Array | string | undefined | null, where: string): Buffer | undefined {
  if (authkey === undefined || authkey === null) return undefined;
  if (typeof authkey === "string") return Buffer.from(authkey, "utf8");
  if (authkey instanceof Uint8Array) return Buffer.from(authkey.buffer, authkey.byteOffset, authkey.byteLength);
  throw new TypeError(`${where} must be a Buffer, a Uint8Array or a string`);
}
