/**
 * The default handler of paramiko's `auth_interactive_dumb`: the server's title and instructions
 * printed, then each prompt, and one line of standard input read as its answer (echoed, as
 * paramiko's `input()`: "dumb").
 *
 * A server may ask in several rounds (a password, then a one-time code). Lines typed, or piped,
 * ahead of a round are kept for it: the input is read by one line reader per stream, paused
 * between rounds so that it keeps no process alive.
 */
import type { Readable, Writable } from "node:stream";

export type InteractiveHandler = (title: string, instructions: string, prompts: Array<{ prompt: string; echo: boolean }>) => string[] | Promise<string[]>;

/** Lines of a stream, read only while one is wanted. */
class LineReader {
  readonly #input: Readable;
  #pending = "";
  #ended = false;
  /** Called at the end of the input while a line is wanted. */
  #onEnd: (() => void) | undefined;

  constructor(input: Readable) {
    this.#input = input;
    // The end may come while no line is wanted (right after the last chunk): noted for the next.
    input.once("end", () => {
      this.#ended = true;
      this.#onEnd?.();
    });
  }

  /** The next line without its newline, or null at the end of the input. */
  next(): Promise<string | null> {
    const ready = this.#take();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#ended || this.#input.readableEnded) {
      this.#ended = true;
      return Promise.resolve(this.#take() ?? null);
    }
    return new Promise((resolve) => {
      const input = this.#input;
      const finish = (line: string | null): void => {
        input.off("data", onData);
        this.#onEnd = undefined;
        input.pause();
        resolve(line);
      };
      const onData = (chunk: Buffer | string): void => {
        this.#pending += chunk.toString();
        const line = this.#take();
        if (line !== undefined) finish(line);
      };
      this.#onEnd = () => finish(this.#take() ?? null);
      input.on("data", onData);
      input.resume();
    });
  }

  /** A complete line from what was read (the last, unterminated one once the input ended). */
  #take(): string | undefined {
    const newline = this.#pending.indexOf("\n");
    if (newline === -1) {
      if (!this.#ended || this.#pending === "") return undefined;
      const last = this.#pending;
      this.#pending = "";
      return last;
    }
    const line = this.#pending.slice(0, newline).replace(/\r$/, "");
    this.#pending = this.#pending.slice(newline + 1);
    return line;
  }
}

const readers = new WeakMap<Readable, LineReader>();

/** A handler asking on `input`/`output` (the process's stdin and stdout by default). */
export function terminalPrompts(input: Readable = process.stdin, output: Writable = process.stdout): InteractiveHandler {
  return async (title, instructions, prompts) => {
    if (title.trim()) output.write(`${title.trim()}\n`);
    if (instructions.trim()) output.write(`${instructions.trim()}\n`);
    let reader = readers.get(input);
    if (reader === undefined) readers.set(input, (reader = new LineReader(input)));
    const answers: string[] = [];
    for (const { prompt } of prompts) {
      output.write(`${prompt.trim()} `);
      const line = await reader.next();
      // Input ended: the answers stop there, and the server refuses what is missing.
      if (line === null) break;
      answers.push(line);
    }
    return answers;
  };
}
