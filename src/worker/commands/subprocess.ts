// Running a command's child process: logs what it runs, merges stdout and
// stderr into one stream of lines for the task log, and on cancellation stops the child's whole
// process group (SIGTERM, then SIGKILL after a grace period), so no grandchild is left behind.
import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { OUTPUT_LINE_MAX_BYTES } from "../constants";
import { CommandCancelled, CommandError, type CommandContext } from "./context";

/** One word of a shell command line, quoted only when it needs to be. */
export function shellQuote(arg: string): string {
  if (arg === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** A UTF-8 byte that continues a character (10xxxxxx); none past the end of the buffer. */
function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/**
 * Cuts a byte stream into lines: `\n` and `\r\n` end a line, a longer line is cut into pieces
 * of at most `maxBytes` on UTF-8 character boundaries, and `end()` returns the unterminated rest.
 */
export class LineSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  private readonly decoder = new TextDecoder();

  constructor(private readonly maxBytes: number = OUTPUT_LINE_MAX_BYTES) {}

  feed(chunk: Uint8Array): string[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending);
    buf.set(chunk, this.pending.length);
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const lineEnd = nl === -1 ? buf.length : nl;
      if (lineEnd - start > this.maxBytes) {
        let cut = start + this.maxBytes;
        while (cut > start && isContinuationByte(buf[cut])) cut--; // Never inside a character.
        lines.push(this.decoder.decode(buf.subarray(start, cut)));
        start = cut;
        continue;
      }
      if (nl === -1) break;
      const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      lines.push(this.decoder.decode(buf.subarray(start, end)));
      start = nl + 1;
    }
    this.pending = buf.slice(start);
    return lines;
  }

  end(): string[] {
    if (this.pending.length === 0) return [];
    const rest = this.decoder.decode(this.pending);
    this.pending = new Uint8Array(0);
    return [rest];
  }
}

/**
 * The program to run is not there: a bare name not on PATH, or a path that is not an executable
 * file. Its message keeps Flamenco's wording (Go's exec errors), so tools that match it still do;
 * commands that know where the program comes from add a hint around it.
 */
export class ExecutableNotFound extends CommandError {
  constructor(
    /** The program as the command gave it. */
    readonly exe: string,
    /** True when it was looked up on PATH; false when it was a path. */
    readonly searchedPath: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** Why the path `exe` cannot be run, in Go's words; null when it is an executable file. */
function pathProblem(exe: string): string | null {
  try {
    accessSync(exe, constants.X_OK);
    // A directory passes the access check; running it is refused like an unexecutable file.
    return statSync(exe).isFile() ? null : "permission denied";
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === "ENOENT" || code === "ENOTDIR") return "no such file or directory";
    if (code === "EACCES") return "permission denied";
    return message;
  }
}

/** Finds `exe` the way a shell would; a path must be an executable file. */
function resolveExecutable(exe: string, ctx: CommandContext): string {
  if (exe.includes("/") || exe.includes("\\")) {
    const problem = pathProblem(exe);
    if (problem !== null) throw new ExecutableNotFound(exe, false, `fork/exec ${exe}: ${problem}`);
    return exe;
  }
  const found = ctx.subprocess.which(exe);
  if (!found) throw new ExecutableNotFound(exe, true, `exec: "${exe}": executable file not found in $PATH`);
  return found;
}

async function pipeLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const splitter = new LineSplitter();
  const reader = stream.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    for (const line of splitter.feed(chunk.value)) onLine(line);
  }
  for (const line of splitter.end()) onLine(line);
}

function signalGroup(pid: number, signal: NodeJS.Signals, platform: NodeJS.Platform): void {
  try {
    // A negative pid addresses the process group the child leads (it was started detached).
    process.kill(platform === "win32" ? pid : -pid, signal);
  } catch {
    // Already gone.
  }
}

export interface SubprocessRun {
  argv: string[];
  ctx: CommandContext;
  /** Sees each output line before it goes to the log (blender-render parses them). */
  onLine?: (line: string) => void;
}

/** Runs argv to completion; throws CommandError on a non-zero exit, CommandCancelled when aborted. */
export async function runSubprocess({ argv, ctx, onLine }: SubprocessRun): Promise<void> {
  if (ctx.signal.aborted) throw new CommandCancelled();
  const chunker = ctx.chunker();
  chunker.append(`going to run:\n\n    ${argv.map(shellQuote).join(" ")}`);
  const [program, ...args] = argv;
  if (program === undefined) throw new CommandError("no program to run: the command line is empty");
  let exe: string;
  try {
    exe = resolveExecutable(program, ctx);
  } catch (err) {
    chunker.flush(); // The command line that could not run belongs in the log too.
    throw err;
  }
  const posix = ctx.subprocess.platform !== "win32";
  // Through `sh -c 'exec "$@" 2>&1'` stdout and stderr share one pipe, so their lines keep
  // their order; exec keeps the pid, so the pid logged is the program's own.
  const cmd = posix ? ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh", exe, ...args] : [exe, ...args];
  let proc: ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;
  try {
    proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: posix });
  } catch (err) {
    chunker.flush();
    throw new CommandError(`could not start ${program}: ${(err as Error).message}`);
  }
  const pid = proc.pid;
  if (ctx.subprocess.oomScoreAdjust !== null && ctx.subprocess.platform === "linux") {
    try {
      writeFileSync(`/proc/${pid}/oom_score_adj`, String(ctx.subprocess.oomScoreAdjust));
    } catch (err) {
      chunker.append(`could not set oom_score_adj of pid ${pid}: ${(err as Error).message}`);
    }
  }

  let killTimer: ReturnType<typeof setTimeout> | null = null;
  const stop = () => {
    signalGroup(pid, "SIGTERM", ctx.subprocess.platform);
    killTimer = setTimeout(
      () => signalGroup(pid, "SIGKILL", ctx.subprocess.platform),
      ctx.subprocess.killGraceMs,
    );
  };
  ctx.signal.addEventListener("abort", stop, { once: true });

  const logLine = (line: string) => {
    if (!ctx.signal.aborted) onLine?.(line);
    chunker.append(`pid=${pid} > ${line}`);
  };
  try {
    await Promise.all([pipeLines(proc.stdout, logLine), pipeLines(proc.stderr, logLine)]);
    chunker.flush();
    const code = await proc.exited;
    if (ctx.signal.aborted) throw new CommandCancelled();
    if (code !== 0)
      throw new CommandError(`command exited abnormally with code ${proc.signalCode ? -1 : code}`);
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    if (killTimer !== null) clearTimeout(killTimer);
    // The group may hold more than the child (e.g. a renderer's helpers); none may outlive it.
    if (posix && ctx.signal.aborted) signalGroup(pid, "SIGKILL", ctx.subprocess.platform);
  }
}
