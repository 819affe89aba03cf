/**
 * The pool's bookkeeping for one worker: the tasks sent to it, in order. A worker runs its tasks
 * one at a time in the order received, so the first unanswered task is the one it is running and
 * every answer belongs to the head of this list.
 */
import type { Task } from "./task.js";
import type { WorkerLink } from "./worker-link.js";

export class WorkerState {
  readonly name: string;
  link!: WorkerLink;
  /** Tasks sent and not answered yet, oldest first (from `head`). */
  inflight: Task[] = [];
  head = 0;
  /** The worker answered INIT (its initializer ran): tasks may be sent. */
  ready = false;
  /** No more tasks for it: it was told to STOP (maxtasksperchild, close). */
  stopping = false;
  /** Tasks it may still be sent before it is recycled (maxtasksperchild). */
  quota: number;

  constructor(name: string, quota: number) {
    this.name = name;
    this.quota = quota;
  }

  get load(): number {
    return this.inflight.length - this.head;
  }

  push(task: Task): void {
    this.inflight.push(task);
  }

  shift(): Task | undefined {
    if (this.head >= this.inflight.length) return undefined;
    const task = this.inflight[this.head]!;
    this.inflight[this.head++] = undefined as unknown as Task;
    if (this.head === this.inflight.length) {
      this.inflight.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.head);
      this.head = 0;
    }
    return task;
  }

  /** Takes every unanswered task out (the worker died), oldest first. */
  takeAll(): Task[] {
    const rest = this.inflight.slice(this.head);
    this.inflight = [];
    this.head = 0;
    return rest;
  }
}
