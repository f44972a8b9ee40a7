// Batches a command's output lines into task-log updates: a chunk goes out when
// it passes LOG_CHUNK_MAX_BYTES, when its oldest line has waited the maximum age (on a timer, so
// quiet commands still show their output), and when the command ends.

export class LogChunker {
  private buffer: string[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** Sends one chunk; ordering is the sender's business, so the chunker does not wait for it. */
    private readonly send: (text: string) => void,
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
  ) {}

  /** Adds one line (a newline is appended). */
  append(line: string): void {
    const text = `${line}\n`;
    this.buffer.push(text);
    this.bytes += Buffer.byteLength(text);
    if (this.bytes > this.maxBytes) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.maxAgeMs);
  }

  /** Sends whatever is buffered (nothing when empty). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("");
    this.buffer = [];
    this.bytes = 0;
    this.send(text);
  }
}
