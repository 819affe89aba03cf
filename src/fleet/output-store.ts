/**
 * Output kept for later (gathering, `results()`), with memory bounded however many hosts run:
 * each host keeps up to `perHost` bytes in memory while a shared budget lasts; past that its output
 * goes to a file under a spill folder. Only running hosts hold a file open, so open files stay
 * bounded by forks.
 */
import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Bytes every host may keep in memory before spilling. */
export const DEFAULT_PER_HOST_MEMORY = 64 * 1024;
/** Bytes all hosts together keep in memory before spilling. */
export const DEFAULT_TOTAL_MEMORY = 32 * 1024 * 1024;

/** The shared memory budget and spill folder of one run (or one fleet). */
export class OutputStore {
  #free: number;
  readonly perHost: number;
  #dir: Promise<string> | undefined;
  #count = 0;
  /** Spill files made and not yet released: the folder goes with the last (a fleet never closed leaves none). */
  #live = 0;

  constructor(options: { perHost?: number; total?: number } = {}) {
    this.perHost = options.perHost ?? DEFAULT_PER_HOST_MEMORY;
    this.#free = options.total ?? DEFAULT_TOTAL_MEMORY;
  }

  /** A new buffer for one stream of one host. */
  create(label: string): HostOutput {
    return new HostOutput(this, label);
  }

  /** @internal reserves memory; false when the budget is spent. */
  take(n: number): boolean {
    if (n > this.#free) return false;
    this.#free -= n;
    return true;
  }

  /** @internal returns memory to the budget. */
  give(n: number): void {
    this.#free += n;
  }

  /** @internal a fresh spill file path. */
  async spillPath(label: string): Promise<string> {
    this.#live++;
    this.#dir ??= mkdtemp(join(tmpdir(), "shoal-output-"));
    return join(await this.#dir, `${++this.#count}-${label.replace(/[^A-Za-z0-9_.-]/g, "_")}`);
  }

  /** @internal a spill file was removed: the folder too, once it holds none. */
  async spillReleased(): Promise<void> {
    if (--this.#live > 0) return;
    await this.dispose();
  }

  /** Removes the spill files. */
  async dispose(): Promise<void> {
    const dir = this.#dir;
    // Forgotten first: a spill starting meanwhile makes a new folder instead of one being removed.
    this.#dir = undefined;
    this.#live = 0;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}

export class HostOutput {
  readonly #store: OutputStore;
  readonly #label: string;
  #chunks: Buffer[] = [];
  #held = 0;
  #size = 0;
  readonly #hash: Hash = createHash("sha256");
  #digest: string | undefined;
  #file: WriteStream | undefined;
  #path: string | undefined;
  #opening: Promise<void> | undefined;

  constructor(store: OutputStore, label: string) {
    this.#store = store;
    this.#label = label;
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.#size;
  }

  /** The spill file, when the output outgrew memory. */
  get path(): string | undefined {
    return this.#path;
  }

  /** Adds a chunk; the promise (when one is returned) resolves once it is safely stored. */
  append(chunk: Buffer): void | Promise<void> {
    this.#size += chunk.length;
    this.#hash.update(chunk);
    if (!this.#file && !this.#opening && this.#held + chunk.length <= this.#store.perHost && this.#store.take(chunk.length)) {
      this.#chunks.push(chunk);
      this.#held += chunk.length;
      return;
    }
    return this.#spill(chunk);
  }

  async #spill(chunk: Buffer): Promise<void> {
    if (!this.#file) {
      this.#opening ??= (async () => {
        this.#path = await this.#store.spillPath(this.#label);
        this.#file = createWriteStream(this.#path);
        for (const c of this.#chunks) this.#file.write(c);
        this.#store.give(this.#held);
        this.#chunks = [];
        this.#held = 0;
      })();
      await this.#opening;
    }
    if (!this.#file!.write(chunk)) await new Promise<void>((resolve) => this.#file!.once("drain", resolve));
  }

  /** Finishes the stream (closes its spill file). */
  async close(): Promise<void> {
    if (this.#opening) await this.#opening;
    if (this.#file) {
      const f = this.#file;
      await new Promise<void>((resolve, reject) => f.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    this.#digest ??= this.#hash.digest("hex");
  }

  /** SHA-256 of the whole output (after close). */
  get digest(): string {
    this.#digest ??= this.#hash.digest("hex");
    return this.#digest;
  }

  /** The whole output (read back from its spill file if it has one). */
  async buffer(): Promise<Buffer> {
    if (this.#path) return readFile(this.#path);
    return Buffer.concat(this.#chunks);
  }

  /** The whole output as text, from memory or read back from its spill file. */
  async text(): Promise<string> {
    return this.inMemory() ?? (await this.buffer()).toString("utf8");
  }

  /** The output when it is in memory, else undefined. */
  inMemory(): string | undefined {
    return this.#path ? undefined : Buffer.concat(this.#chunks).toString("utf8");
  }

  /**
   * Drops the output (after close): its memory goes back to the shared budget and its spill file
   * is removed. Output read back once, into a result, must not hold the budget or the disk for
   * the rest of a long-lived fleet.
   */
  async release(): Promise<void> {
    this.#store.give(this.#held);
    this.#chunks = [];
    this.#held = 0;
    const path = this.#path;
    this.#path = undefined;
    if (path) {
      await rm(path, { force: true });
      await this.#store.spillReleased();
    }
  }
}
