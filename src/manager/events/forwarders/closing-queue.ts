// Closes sockets a batch per event-loop turn. Hundreds may have to go at once (shutdown, the send
// budget, a network cut that kills every peer); closing them in one turn would hold every HTTP
// request for as long, so each batch yields to I/O (setImmediate runs after the poll phase).

export interface ClosingQueue {
  /** Runs `close` in a later turn, after the ones added before it. */
  add(close: () => void): void;
  readonly pending: number;
}

export function createClosingQueue(batchSize: number): ClosingQueue {
  let queue: (() => void)[] = [];
  let head = 0;
  let scheduled = false;

  function runBatch() {
    scheduled = false;
    const end = Math.min(queue.length, head + batchSize);
    while (head < end) (queue[head++] as () => void)();
    if (head < queue.length) schedule();
    else {
      queue = [];
      head = 0;
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(runBatch);
  }

  return {
    add(close) {
      queue.push(close);
      schedule();
    },
    get pending() {
      return queue.length - head;
    },
  };
}
