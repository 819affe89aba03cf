/**
 * Quoting for POSIX shells (`sh -c`, the remote user's shell, a line shown to paste).
 *
 *   shellQuote("it's")     // 'it'\''s'
 *   shellWord("inv ü.yml") // 'inv ü.yml'   (shellWord("inv.yml") is inv.yml)
 */

/** `text` as one single-quoted shell word, whatever it holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `text` as one shell word, quoted only when it holds something the shell would act on. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : shellQuote(text);
}
