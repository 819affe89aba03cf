/**
 * Makes ssh2 sign and verify with parsed `KeyObject`s instead of PEM text.
 *
 * ssh2 keeps every key as PEM and hands that text to `crypto.sign`/`crypto.verify`, which parse it
 * again on every call: signing the user's ed25519 key costs ~1 ms that way against ~0.1 ms with a
 * `KeyObject`, and verifying the server's signature ~0.4 ms against ~0.2 ms. At hundreds of
 * connections a second that is a large share of a fleet run's CPU, on a machine whose sshd needs
 * all the CPU it can get. Each PEM is parsed once here and its `KeyObject` reused (one user key,
 * and one host key per server, however many hosts share it).
 *
 * ssh2's parsed keys all share one prototype; its `sign`/`verify` read the PEM from a symbol
 * property of the key. The wrappers call the originals on a shadow of the key whose PEM property
 * is the `KeyObject` (which `crypto` accepts wherever it accepts PEM), so signatures, hash choices
 * and errors stay ssh2's own. If ssh2's internals differ, nothing is changed.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import ssh2 from "ssh2";

/** Distinct PEMs kept; past it the cache starts over (a fleet has few users' keys and host keys). */
const MAX_CACHED = 256;

type KeyMethod = (this: object, ...args: unknown[]) => unknown;

let installed = false;

export function useKeyObjects(): void {
  if (installed) return;
  installed = true;
  // Any parsed key reaches the shared prototype; a public key needs no secret to make.
  const sample = ssh2.utils.parseKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF2ZelIFhfY3u4Z1NPnGl5eley6bxOqbGvnTr08rO5K5");
  if (sample instanceof Error || Array.isArray(sample)) return;
  const proto = Object.getPrototypeOf(sample) as Record<string, unknown> | null;
  const symbols = Object.getOwnPropertySymbols(sample);
  const pubSym = symbols.find((s) => s.description === "Public key PEM");
  const privSym = symbols.find((s) => s.description === "Private key PEM");
  if (!proto || !pubSym || !privSym || typeof proto["sign"] !== "function" || typeof proto["verify"] !== "function") return;
  const sign = proto["sign"] as KeyMethod;
  const verify = proto["verify"] as KeyMethod;
  const cache = new Map<string, KeyObject>();
  const keyObject = (pem: string, make: (pem: string) => KeyObject): KeyObject | string => {
    let k = cache.get(pem);
    if (!k) {
      try {
        k = make(pem);
      } catch {
        return pem; // let ssh2 report it as it would
      }
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(pem, k);
    }
    return k;
  };
  const shadow = (key: object, sym: symbol, make: (pem: string) => KeyObject): object => {
    const pem = (key as Record<symbol, unknown>)[sym];
    if (typeof pem !== "string") return key;
    return Object.create(key, { [sym]: { value: keyObject(pem, make) } }) as object;
  };
  proto["sign"] = function (this: object, ...args: unknown[]) {
    return sign.apply(shadow(this, privSym, createPrivateKey), args);
  };
  proto["verify"] = function (this: object, ...args: unknown[]) {
    return verify.apply(shadow(this, pubSym, createPublicKey), args);
  };
}
