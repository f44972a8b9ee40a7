// One client's frames not yet handed to its socket. Frames go to Bun only while its own buffer is
// empty, so a client that stops reading leaves its backlog here rather than in Bun's per-socket
// copy: every client of a room queues the same frame object, so clients behind on the same
// events hold one copy of them, and closing a client releases its backlog at once instead of
// leaving it in Bun until the close frame gets through (which it never does if nobody reads).
import type { ServerWebSocket } from "bun";

/** A server→client frame, built once per event and shared by every client that gets it. */
export interface Frame {
  readonly text: string;
  /** UTF-8 length, what the frame costs in a socket buffer. */
  readonly bytes: number;
}

export function frame(text: string): Frame {
  return { text, bytes: Buffer.byteLength(text) };
}

/** Bun's `send` result when it dropped the frame (its own buffer limit was reached). */
const SEND_DROPPED = 0;
/** Bun's `send` result when the frame went into its buffer because the socket is full. */
const SEND_BACKPRESSURE = -1;

export type PumpResult = { sent: number; dropped: boolean };

export class Outbox {
  private frames: Frame[] = [];
  private head = 0;
  /** Bytes queued here, not yet handed to the socket. */
  queuedBytes = 0;

  push(f: Frame): void {
    this.frames.push(f);
    this.queuedBytes += f.bytes;
  }

  /**
   * Hands queued frames to the socket in one corked write, stopping at the first one Bun has to
   * buffer: the rest waits for the socket's `drain`. Nothing is handed over while Bun still
   * buffers something, so Bun holds at most one write's tail per client.
   */
  pump<T>(ws: ServerWebSocket<T>): PumpResult {
    const result: PumpResult = { sent: 0, dropped: false };
    if (this.head === this.frames.length || ws.getBufferedAmount() > 0) return result;
    ws.cork(() => {
      while (this.head < this.frames.length) {
        const f = this.frames[this.head++] as Frame;
        this.queuedBytes -= f.bytes;
        const status = ws.send(f.text);
        if (status === SEND_DROPPED) {
          result.dropped = true;
          return;
        }
        result.sent++;
        if (status === SEND_BACKPRESSURE) return;
      }
    });
    // Sent frames are dropped from the array once they are half of it: amortised O(1), and a
    // client that is always a little behind does not keep every frame it was ever sent.
    if (this.head === this.frames.length) this.clear();
    else if (this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return result;
  }

  /** Forgets every queued frame (the client is being closed). */
  clear(): void {
    this.frames = [];
    this.head = 0;
    this.queuedBytes = 0;
  }
}
