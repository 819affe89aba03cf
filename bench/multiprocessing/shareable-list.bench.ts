/**
 * ShareableList item reads and writes (`sl[j] = sl[j] + 1`) against Python's
 * `multiprocessing.shared_memory.ShareableList`, in one run.
 *
 *   node dist/bench/multiprocessing/shareable-list.bench.js [OPS]
 */
import { ShareableList } from "../../src/multiprocessing/index.js";
import { python, report } from "./anchor.js";

const OPS = Number(process.argv[2] ?? 2_000_000);

function shoal(ops: number): number {
  const sl = new ShareableList([...new Array<number>(8).fill(0), "ab", "cd"]);
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const j = i & 7;
    sl[j] = (sl[j] as number) + 1;
  }
  const elapsed = (performance.now() - t0) / 1000;
  sl.shm.close();
  sl.shm.unlink();
  return ops / elapsed;
}

shoal(OPS / 10);
const ours = Math.max(shoal(OPS), shoal(OPS), shoal(OPS));
const anchor = Math.max(...[0, 1, 2].map(() => python<{ pairsPerSecond: number }>("shareable_list", OPS / 4).pairsPerSecond));
report("ShareableList sl[j] = sl[j] + 1", ours, anchor, "/s", "report");
