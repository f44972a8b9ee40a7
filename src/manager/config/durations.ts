// Go duration strings (`10m0s`, `1h30m`, `744h`) as used in flamenco-manager.yaml:
// exact parsing to nanoseconds, canonical Go formatting, and millisecond wrappers.

const NS_PER_UNIT = new Map<string, bigint>([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n], // U+00B5 micro sign
  ["μs", 1_000n], // U+03BC Greek mu; Go accepts both
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

const NS_PER_MS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;
// Go durations are int64 nanoseconds; anything larger is invalid there too.
const MAX_DURATION_NS = 2n ** 63n - 1n;

export class DurationError extends Error {
  constructor(input: string) {
    super(`invalid duration ${JSON.stringify(input)} (use Go syntax such as 10m0s)`);
    this.name = "DurationError";
  }
}

const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/** Parses a Go duration string into nanoseconds; throws DurationError. */
export function parseDurationNs(input: string): bigint {
  let rest = input;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest[0] === "-";
    rest = rest.slice(1);
  }
  // A bare zero is the only unit-less value Go accepts.
  if (rest === "0") return 0n;
  if (rest === "") throw new DurationError(input);

  let total = 0n;
  while (rest !== "") {
    const match = COMPONENT.exec(rest);
    if (!match) throw new DurationError(input);
    const [whole, intDigits = "", fracDigits, unit = ""] = match;
    if (intDigits === "" && !fracDigits) throw new DurationError(input);
    const unitNs = NS_PER_UNIT.get(unit);
    if (unitNs === undefined) throw new DurationError(input);

    total += BigInt(intDigits || "0") * unitNs;
    if (fracDigits) total += (BigInt(fracDigits) * unitNs) / 10n ** BigInt(fracDigits.length);
    if (total > MAX_DURATION_NS + (negative ? 1n : 0n)) throw new DurationError(input);
    rest = rest.slice(whole.length);
  }
  return negative ? -total : total;
}

/** Formats nanoseconds the way Go's time.Duration.String() does. */
export function formatDurationNs(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  const abs = ns < 0n ? -ns : ns;

  if (abs < NS_PER_SECOND) {
    if (abs < 1_000n) return `${sign}${abs}ns`;
    if (abs < NS_PER_MS) return `${sign}${withFraction(abs, 3)}µs`;
    return `${sign}${withFraction(abs, 6)}ms`;
  }

  const seconds = abs / NS_PER_SECOND;
  const fraction = fractionDigits(abs % NS_PER_SECOND, 9);
  const secondsPart = `${seconds % 60n}${fraction}s`;
  const minutes = seconds / 60n;
  if (minutes === 0n) return `${sign}${secondsPart}`;
  const hours = minutes / 60n;
  const hoursPart = hours > 0n ? `${hours}h` : "";
  return `${sign}${hoursPart}${minutes % 60n}m${secondsPart}`;
}

/** `value` scaled down by 10^digits, with trailing zeroes of the fraction dropped. */
function withFraction(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  return `${value / scale}${fractionDigits(value % scale, digits)}`;
}

function fractionDigits(remainder: bigint, digits: number): string {
  if (remainder === 0n) return "";
  return "." + remainder.toString().padStart(digits, "0").replace(/0+$/, "");
}

/** Parses a Go duration string into (possibly fractional) milliseconds. */
export function parseDuration(input: string): number {
  return Number(parseDurationNs(input)) / 1e6;
}

/** Formats milliseconds as a canonical Go duration string (`10m0s`, `1.5s`, `0s`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format duration of ${ms} ms`);
  const ns = Number.isInteger(ms) ? BigInt(ms) * NS_PER_MS : BigInt(Math.round(ms * 1e6));
  return formatDurationNs(ns);
}
