/**
 * authInteractiveDumb's default handler: the prompts on the output, one line of input per answer,
 * and lines that arrived ahead of a round (piped input) kept for it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { terminalPrompts } from "../../src/ssh/terminal-prompts.js";

test("answers come one line each, over several rounds, from input piped all at once", async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
  input.end("s3cret\r\n123456\nlast"); // a password, a one-time code, and a line without its newline
  const ask = terminalPrompts(input, output);
  assert.deepEqual(await ask("Login", "Two steps.", [{ prompt: "Password: ", echo: false }]), ["s3cret"]);
  assert.deepEqual(await ask("", "", [{ prompt: "Code:", echo: true }]), ["123456"]);
  // A second handler on the same input goes on where the first stopped.
  assert.deepEqual(await terminalPrompts(input, output)("", "", [{ prompt: "More:", echo: true }, { prompt: "And:", echo: true }]), ["last"]);
  assert.deepEqual(await ask("", "", [{ prompt: "Nothing left:", echo: true }]), []);
  assert.equal(shown, "Login\nTwo steps.\nPassword: Code: More: And: Nothing left: ");
});
