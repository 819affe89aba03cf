/**
 * New key pairs in OpenSSH's formats, through ssh2's generator, checked.
 *
 * ssh2 (1.17) drops a leading zero byte of an ed25519 public key when it writes the pair: about one
 * key in 256 comes out 31 bytes long, in a private key file nothing can parse (ssh2 itself says
 * "Malformed OpenSSH private key"). Each pair is parsed back before it is handed out, and drawn
 * again when it does not parse.
 */
import ssh2 from "ssh2";

export type KeyType = "ed25519" | "ecdsa" | "rsa";

export interface GenerateOptions {
  /** ECDSA: 256, 384 or 521 (default 256); RSA: the modulus size (default 3072). Ignored for ed25519. */
  bits?: number | undefined;
  /** The comment of the public key line. */
  comment?: string | undefined;
}

export interface OpenSshKeyPair {
  /** The private key in OpenSSH's format (what `ssh-keygen` writes). */
  readonly private: string;
  /** The public key line, `type base64 [comment]`. */
  readonly public: string;
}

/** Draws of a key that parses; a bad draw happens 1 time in 256, so this is never reached by chance. */
const MAX_DRAWS = 16;

export function generateOpenSshKeyPair(type: KeyType, options: GenerateOptions = {}): OpenSshKeyPair {
  const comment = options.comment === undefined ? {} : { comment: options.comment };
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const pair =
      type === "ed25519"
        ? ssh2.utils.generateKeyPairSync("ed25519", comment)
        : type === "ecdsa"
          ? ssh2.utils.generateKeyPairSync("ecdsa", { bits: (options.bits ?? 256) as 256 | 384 | 521, ...comment })
          : ssh2.utils.generateKeyPairSync("rsa", { bits: options.bits ?? 3072, ...comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return { private: pair.private, public: pair.public.trim() };
  }
  throw new Error(`generateOpenSshKeyPair: ssh2 wrote ${MAX_DRAWS} ${type} keys in a row that it cannot parse`);
}
