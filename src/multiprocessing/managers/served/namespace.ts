/** The server side of a managed `Namespace`: named values (a Map, so no name reaches a prototype). */
import { describe } from "../../../internal/options.js";

function checkName(name: unknown, where: string): string {
  if (typeof name !== "string") throw new TypeError(`${where}: name must be a string: got ${describe(name)}`);
  return name;
}

export class ServedNamespace {
  readonly #values = new Map<string, unknown>();

  constructor(init?: unknown) {
    if (init === undefined || init === null) return;
    if (typeof init !== "object" || Array.isArray(init)) throw new TypeError(`Namespace: expected a plain object: got ${describe(init)}`);
    for (const [name, value] of Object.entries(init)) this.#values.set(name, value);
  }

  get(name: unknown): unknown {
    return this.#values.get(checkName(name, "Namespace.get"));
  }

  set(name: unknown, value: unknown): void {
    this.#values.set(checkName(name, "Namespace.set"), value);
  }

  has(name: unknown): boolean {
    return this.#values.has(checkName(name, "Namespace.has"));
  }

  delete(name: unknown): boolean {
    return this.#values.delete(checkName(name, "Namespace.delete"));
  }

  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.#values);
  }
}
