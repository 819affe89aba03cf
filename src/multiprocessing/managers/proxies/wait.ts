/** Client-side checks of waiting options, and what of them crosses to the server. @internal */
import { checkSignal, checkTimeout } from "../../../internal/options.js";

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

/** The part of the options the server sees, checked; and the signal. */
export function remoteWait(options: BlockingOptions | undefined, where: string): { wire: { block: boolean; timeout: number | undefined }; signal: AbortSignal | undefined } {
  const timeout = checkTimeout(options?.timeout, `${where}: timeout`);
  const signal = checkSignal(options?.signal, `${where}: signal`);
  return { wire: { block: options?.block !== false, timeout }, signal };
}
