/**
 * `SharedMemoryManager` (Python's `multiprocessing.managers.SharedMemoryManager`): owns the
 * SharedMemory segments and ShareableLists it makes, and unlinks them all at `shutdown()`, so that
 * no name outlives the work that needed it.
 *
 *   await using smm = new SharedMemoryManager().start();
 *   const shm = smm.SharedMemory(1024);
 *   const list = smm.ShareableList([1, 2, 3]);
 *   // ... hand shm.name / list.shm.name to workers ...
 *   // leaving the block (or smm.shutdown()) unlinks both
 *
 * Python's runs a server process to track them; the segments here belong to one process, so the
 * manager is an object in it.
 */
import { SharedMemory } from "./shared-memory.js";
import { ShareableList, type ShareableItem } from "./shareable-list.js";
import { ProcessError } from "./errors.js";

export class SharedMemoryManager {
  readonly #owned = new Set<SharedMemory>();
  #state: "initial" | "started" | "shut down" = "initial";

  /** Starts tracking (Python's `start()`); returns the manager. */
  start(): this {
    if (this.#state !== "initial") throw new ProcessError(`SharedMemoryManager: cannot start a manager that is ${this.#state === "started" ? "started already" : "shut down"}`);
    this.#state = "started";
    return this;
  }

  /** A new SharedMemory of `size` bytes, unlinked at shutdown. */
  SharedMemory(size: number): SharedMemory {
    this.#checkStarted("SharedMemory");
    const shm = new SharedMemory({ create: true, size });
    this.#owned.add(shm);
    return shm;
  }

  /** A new ShareableList of `items`, unlinked at shutdown. */
  ShareableList(items: Iterable<ShareableItem>): ShareableList {
    this.#checkStarted("ShareableList");
    const list = new ShareableList(items);
    this.#owned.add(list.shm);
    return list;
  }

  /** Closes and unlinks every segment it made. Safe to call twice. */
  shutdown(): void {
    if (this.#state === "shut down") return;
    this.#state = "shut down";
    for (const shm of this.#owned) {
      shm.close();
      try {
        shm.unlink();
      } catch {
        // Unlinked by its user already: nothing left to do for it.
      }
    }
    this.#owned.clear();
  }

  [Symbol.dispose](): void {
    this.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
  }

  #checkStarted(what: string): void {
    if (this.#state !== "started") throw new ProcessError(`SharedMemoryManager.${what}: the manager is ${this.#state === "initial" ? "not started (call start())" : "shut down"}`);
  }
}
