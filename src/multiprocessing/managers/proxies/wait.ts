/** Client-side checks of waiting options, and what of them crosses to the server. @internal */
import { checkOptions, checkSignal, checkTimeout } from "../../../internal/options.js";

export interface RemoteWaitOptions {
  /** Longest wait in milliseconds (undefined: forever). The server keeps the time. */
  timeout?: number | undefined;
  /** Aborting asks the server to abandon the wait. */
  signal?: AbortSignal | undefined;
}

export interface BlockingOptions extends RemoteWaitOptions {
  /** `false`: do not wait at all (Python's `block=False`). Default true. */
  block?: boolean | undefined;
}

/**
 * The part of the options the server sees, checked; and the signal. The default (block, no
 * timeout) crosses as `null`, which keeps the request plain JSON (an object would need v8).
 */
export function remoteWait(options: BlockingOptions | undefined, where: string): { wire: { block: boolean; timeout: number | undefined } | null; signal: AbortSignal | undefined } {
  checkOptions(options, where);
  const timeout = checkTimeout(options?.timeout, `${where}: timeout`);
  const signal = checkSignal(options?.signal, `${where}: signal`);
  const block = options?.block !== false;
  return { wire: block && timeout === undefined ? null : { block, timeout }, signal };
}
