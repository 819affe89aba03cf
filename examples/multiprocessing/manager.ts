/**
 * The lesson's Manager example: ten processes each set three keys of a managed dict and append to
 * a managed list.
 *
 *   from multiprocessing import Process, Manager
 *   def f(d, l):
 *       d[1] = '1'; d['2'] = 2; d[0.25] = None
 *       l.append(1); print(l)
 *   with Manager() as manager:
 *       d = manager.dict(); l = manager.list(range(5))
 *       ...10 processes... print(d); print(l)
 *
 * Run: node dist/examples/multiprocessing/manager.js
 */
import { Manager, Process, isMainModule, type DictProxy, type ListProxy } from "../../src/multiprocessing/index.js";

export async function f(d: DictProxy<number | string, string | number | null>, l: ListProxy<number>): Promise<void> {
  await d.set(1, "1");
  await d.set("2", 2);
  await d.set(0.25, null);
  await l.append(1);
  console.log(await l.toArray());
}

/** Runs the example; resolves what the dict and the list hold at the end. */
export async function main(): Promise<{ dict: Map<number | string, string | number | null>; list: number[] }> {
  await using manager = await Manager.start();
  const d = await manager.dict<number | string, string | number | null>();
  const l = await manager.list([0, 1, 2, 3, 4]);
  const processes: Process[] = [];
  for (let i = 0; i < 10; i++) {
    const p = new Process({ target: f, args: [d, l] });
    p.start();
    processes.push(p);
  }
  for (const p of processes) await p.join();
  const dict = await d.copy();
  const list = await l.toArray();
  console.log(dict);
  console.log(list);
  return { dict, list };
}

if (isMainModule(import.meta)) await main();
