/**
 * The result of `map`/`mapAsync`/`starmap`: one AsyncResult fed by many chunks (Python's `MapResult`).
 * Only the first failure is kept, and the result settles once every chunk has finished.
 */
import { AsyncResult, settle, type ResultCallbacks } from "./async-result.js";
import { abandon, deliver } from "./sink.js";

export class MapResult<R> extends AsyncResult<R[]> {
  /** The values of each chunk, joined once all are in (writing into one huge array is slower). */
  readonly #chunks: R[][];
  readonly #length: number;
  #left: number;
  #failure: { error: unknown } | undefined;

  /** @internal Made by the pool. */
  constructor(length: number, chunks: number, callbacks: ResultCallbacks<R[]> | undefined, job: string) {
    super(callbacks, job);
    this.#chunks = new Array<R[]>(chunks);
    this.#length = length;
    this.#left = chunks;
    if (chunks === 0) this[settle](true, []);
  }

  /** @internal */
  override [deliver](index: number, ok: boolean, value: unknown): void {
    if (ok) {
      if (this.#failure === undefined) this.#chunks[index] = value as R[];
    } else if (this.#failure === undefined) {
      this.#failure = { error: value };
    }
    if (--this.#left === 0) {
      if (this.#failure === undefined) this[settle](true, this.#join());
      else this[settle](false, this.#failure.error);
    }
  }

  #join(): R[] {
    const chunks = this.#chunks;
    let values: R[];
    if (chunks.length === 1) values = chunks[0]!;
    else if (chunks.length <= 4096) values = ([] as R[]).concat(...chunks);
    else {
      values = [];
      for (const chunk of chunks) for (const value of chunk) values.push(value);
    }
    if (values.length !== this.#length) throw new Error(`Pool protocol error: map got ${values.length} values for ${this.#length} items`);
    return values;
  }

  /** @internal */
  override [abandon](error: Error): void {
    this.#left = 0;
    this[settle](false, this.#failure?.error ?? error);
  }
}
