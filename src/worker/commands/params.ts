// Reading command parameters with Flamenco's rules: required strings must be
// non-empty strings, string lists accept any scalars, and errors name the command and parameter.
import { shellSplit } from "../../shared/shell-split";
import { CommandError } from "./context";

export class CommandParams {
  constructor(
    private readonly command: string,
    private readonly parameters: Record<string, unknown>,
  ) {}

  missing(key: string): CommandError {
    return new CommandError(
      `${this.command}: mandatory parameter "${key}" is missing: ${JSON.stringify(this.parameters)}`,
    );
  }

  invalid(key: string, reason: string): CommandError {
    return new CommandError(
      `${this.command}: parameter "${key}" has invalid value ${JSON.stringify(this.parameters[key])}: ${reason}`,
    );
  }

  has(key: string): boolean {
    return this.parameters[key] !== undefined && this.parameters[key] !== null;
  }

  /** Present, a string, and not empty. */
  requiredString(key: string): string {
    if (!this.has(key)) throw this.missing(key);
    const value = this.parameters[key];
    if (typeof value !== "string") throw this.invalid(key, "not a string");
    if (value === "") throw this.missing(key);
    return value;
  }

  /** Present and a string, possibly empty. */
  presentString(key: string): string {
    const value = this.parameters[key];
    if (typeof value !== "string") throw this.invalid(key, "cannot convert to string");
    return value;
  }

  /** A string when given as one, else "". */
  optionalString(key: string): string {
    const value = this.parameters[key];
    return typeof value === "string" ? value : "";
  }

  /** Absent → []; scalars are written as text (24, 0.327, true). */
  stringList(key: string): string[] {
    if (!this.has(key)) return [];
    const value = this.parameters[key];
    if (!Array.isArray(value)) throw this.invalid(key, "cannot convert to list of strings");
    return value.map((item) => {
      if (typeof item === "string") return item;
      if (typeof item === "number" || typeof item === "boolean") return String(item);
      throw this.invalid(key, "cannot convert to list of strings");
    });
  }

  /** The string (or "") split into words like a shell; bad quoting makes the parameter invalid. */
  shellWords(key: string): string[] {
    try {
      return shellSplit(this.optionalString(key));
    } catch (err) {
      throw this.invalid(key, (err as Error).message);
    }
  }

  requiredNumber(key: string): number {
    if (!this.has(key)) throw this.missing(key);
    const value = this.parameters[key];
    if (typeof value !== "number" || !Number.isFinite(value)) throw this.invalid(key, "not a number");
    return value;
  }

  requiredValue(key: string): unknown {
    if (!this.has(key)) throw this.missing(key);
    return this.parameters[key];
  }
}
