/**
 * Owner-side state of a process-shared `Barrier`: callers arrive until `parties` are there, then
 * all leave together, each with its arrival index. A timeout, `abort()` or `reset()` breaks the
 * barrier for everyone waiting (`BrokenBarrierError`), as in Python.
 */
import { BrokenBarrierError } from "../../threading/errors.js";

interface Arrival {
  resolve(index: number): void;
  reject(error: Error): void;
}

export class OwnedBarrier {
  readonly parties: number;
  readonly timeout: number | undefined;
  broken = false;
  #arrivals: Arrival[] = [];

  constructor(parties: number, timeout: number | undefined) {
    this.parties = parties;
    this.timeout = timeout;
  }

  get nWaiting(): number {
    return this.#arrivals.length;
  }

  wait(timeout: number | undefined, signal: AbortSignal): Promise<number> {
    if (this.broken) return Promise.reject(new BrokenBarrierError());
    const index = this.#arrivals.length;
    if (index + 1 === this.parties) {
      const arrivals = this.#arrivals;
      this.#arrivals = [];
      arrivals.forEach((arrival, i) => arrival.resolve(i));
      return Promise.resolve(index);
    }
    const limit = timeout ?? this.timeout;
    return new Promise<number>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const arrival: Arrival = {
        resolve: (i) => (done(), resolve(i)),
        reject: (e) => (done(), reject(e)),
      };
      const onAbort = (): void => {
        this.#breakAll(new BrokenBarrierError("Barrier is broken: a waiting call was cancelled"));
      };
      this.#arrivals.push(arrival);
      if (limit !== undefined) timer = setTimeout(() => this.#breakAll(new BrokenBarrierError(`Barrier is broken: a wait timed out after ${limit} ms`)), limit);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  reset(): void {
    this.#breakAll(new BrokenBarrierError("Barrier is broken: it was reset while waiting"));
    this.broken = false;
  }

  abort(): void {
    this.#breakAll(new BrokenBarrierError("Barrier is broken: it was aborted"));
  }

  #breakAll(error: Error): void {
    this.broken = true;
    const arrivals = this.#arrivals;
    this.#arrivals = [];
    for (const arrival of arrivals) arrival.reject(error);
  }
}
