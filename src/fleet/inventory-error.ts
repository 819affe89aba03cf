/**
 * An inventory that cannot be used: it names the file, the line and column, and what was expected.
 * `shoal.yml:7:9: Invalid port: expected an integer from 1 to 65535, got "ssh"`.
 */
export class InventoryError extends Error {
  override name = "InventoryError";
  constructor(
    readonly detail: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${detail}` : `${file}: ${detail}`);
  }
}

/** A host pattern that selects nothing valid: an unknown group or host, or a malformed range. */
export class PatternError extends Error {
  override name = "PatternError";
  constructor(
    message: string,
    readonly pattern: string,
  ) {
    super(message);
  }
}
