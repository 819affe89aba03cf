/**
 * What a new worker thread must be handed, at its start, by modules of layers above the one that
 * starts it (threading starts `Thread({ worker: true })` and knows nothing of them).
 *
 * A module that keeps per-thread state a new thread must begin with (multiprocessing's table of
 * SharedMemory names) registers a seeder when it loads. Starting a worker asks every registered
 * seeder for a seed; the worker imports each seeder's module and hands it its seed before anything
 * else runs. A module nobody loaded costs nothing.
 */

import type { TransferListItem } from "node:worker_threads";

export interface WorkerSeeder {
  /** The module (its URL) whose export `adoptWorkerSeed(data)` takes the seed in the new worker. */
  readonly module: string;
  /** The seed for a worker about to start: its data, what to transfer, and a cleanup for its exit. */
  seed(): { data: unknown; transfer: TransferListItem[]; forget(): void };
}

/** The seeds of one worker, as they travel in its `workerData`. */
export type WorkerSeeds = ReadonlyArray<{ readonly module: string; readonly data: unknown }>;

const seeders = new Map<string, WorkerSeeder>();

export function registerWorkerSeeder(seeder: WorkerSeeder): void {
  seeders.set(seeder.module, seeder);
}

/** Seeds for a worker about to start; call `forget` once it has exited. */
export function seedsForWorker(): { seeds: WorkerSeeds; transfer: TransferListItem[]; forget(): void } {
  const seeds: Array<{ module: string; data: unknown }> = [];
  const transfer: TransferListItem[] = [];
  const forgets: Array<() => void> = [];
  for (const seeder of seeders.values()) {
    const { data, transfer: moving, forget } = seeder.seed();
    seeds.push({ module: seeder.module, data });
    transfer.push(...moving);
    forgets.push(forget);
  }
  return { seeds, transfer, forget: () => forgets.forEach((forget) => forget()) };
}

/** In the new worker, before its target: hands each module its seed. */
export async function adoptWorkerSeeds(seeds: WorkerSeeds | undefined): Promise<void> {
  for (const { module, data } of seeds ?? []) {
    const namespace = (await import(module)) as { adoptWorkerSeed?: (data: unknown) => void };
    namespace.adoptWorkerSeed?.(data);
  }
}
