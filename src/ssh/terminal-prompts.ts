/**
 * The default handler of paramiko's `auth_interactive_dumb`: the server's title and instructions
 * printed, then each prompt, and one line of standard input read as its answer (echoed, as
 * paramiko's `input()`: "dumb").
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

export type InteractiveHandler = (title: string, instructions: string, prompts: Array<{ prompt: string; echo: boolean }>) => string[] | Promise<string[]>;

/** A handler asking on `input`/`output` (the process's stdin and stdout by default). */
export function terminalPrompts(input: Readable = process.stdin, output: Writable = process.stdout): InteractiveHandler {
  return async (title, instructions, prompts) => {
    if (title.trim()) output.write(`${title.trim()}\n`);
    if (instructions.trim()) output.write(`${instructions.trim()}\n`);
    if (prompts.length === 0) return [];
    const lines = createInterface({ input, terminal: false });
    const next = lines[Symbol.asyncIterator]();
    const answers: string[] = [];
    try {
      for (const { prompt } of prompts) {
        output.write(`${prompt.trim()} `);
        const line = await next.next();
        // Input ended: the answers stop there, and the server refuses what is missing.
        if (line.done) break;
        answers.push(line.value);
      }
    } finally {
      lines.close();
    }
    return answers;
  };
}
