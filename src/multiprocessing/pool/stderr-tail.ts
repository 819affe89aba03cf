/**
 * The last lines a worker process wrote to its stderr, kept so that the error of a task whose worker
 * died can say why (V8's "FATAL ERROR: Reached heap limit", an uncaught exception's stack) even when
 * the stream itself went elsewhere or nowhere.
 */

/** Lines kept; enough for an uncaught exception's message and the top of its stack. */
const MAX_LINES = 12;
/** Bytes kept, whatever the line count (a worker may write one endless line). */
const MAX_CHARS = 4096;

/** A line of V8's native stack trace, or its heading. */
const NATIVE_FRAME = /^\s*(\d+: 0x[0-9a-f]+\b|----- Native stack trace -----)/;

export class StderrTail {
  #text = "";

  /** Adds what the worker wrote. */
  push(chunk: Buffer | string): void {
    const text = this.#text + chunk.toString();
    this.#text = text.length > MAX_CHARS * 4 ? text.slice(-MAX_CHARS * 4) : text;
  }

  /** The last lines written, without trailing blank lines; `""` when there were none. */
  lines(): string {
    // V8's native stack after a fatal error is a screenful of addresses that would push its one
    // useful line ("FATAL ERROR: Reached heap limit…") out of the tail.
    const lines = this.#text.split("\n").filter((line) => !NATIVE_FRAME.test(line));
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
    return lines.slice(-MAX_LINES).join("\n").slice(-MAX_CHARS);
  }
}
