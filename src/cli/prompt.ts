/**
 * Asks for a secret on the terminal without echoing it (passwords, key passphrases), once per question.
 */
import { openSync, closeSync } from "node:fs";
import { ReadStream, WriteStream } from "node:tty";

/** Reads one line from the controlling terminal with echo off. Rejects when there is no terminal. */
export function askSecret(question: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    return Promise.reject(new Error(`Cannot ask "${question.trim()}": no terminal (use password_env instead)`));
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  return new Promise<string>((resolve, reject) => {
    let answer = "";
    // Raw before the question shows: what is typed once it does (Ctrl-C included) is the prompt's.
    input.setRawMode(true);
    output.write(question);
    const finish = (err: Error | null) => {
      input.setRawMode(false);
      input.removeListener("data", onData);
      output.write("\n");
      input.destroy();
      try {
        closeSync(fd);
      } catch {
        /* already closed by the stream */
      }
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003") return finish(new Error("interrupted"));
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    input.on("data", onData);
  });
}

/** A prompt that asks once and gives the same answer to every later caller. */
export function once(ask: (q: string) => Promise<string>): (q: string) => Promise<string> {
  const answers = new Map<string, Promise<string>>();
  return (q) => {
    let a = answers.get(q);
    if (!a) answers.set(q, (a = ask(q)));
    return a;
  };
}
