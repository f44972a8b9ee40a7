// A Clock for tests: time only moves when the test says so, and due timers fire in order.
import type { Clock } from "../../src/shared/clock";

interface Timer {
  id: number;
  at: number;
  every?: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private timers = new Map<number, Timer>();
  private nextId = 1;

  constructor(start = Date.parse("2026-01-05T10:00:00Z")) {
    this.t = start;
  }
  now = () => new Date(this.t);
  setTimeout = (fn: () => void, ms: number) => this.add(fn, ms);
  setInterval = (fn: () => void, ms: number) => this.add(fn, ms, ms);
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  clearInterval = (h: unknown) => void this.timers.delete(h as number);

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.values()]
        .filter((x) => x.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.t = due.at;
      if (due.every) due.at += due.every;
      else this.timers.delete(due.id);
      due.fn();
    }
    this.t = end;
  }

  private add(fn: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), every, fn });
    return id;
  }
}
