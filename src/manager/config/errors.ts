// The one error type of the configuration module: start-up stops on it, and its message
// names the file (or environment), the key and the problem.

export class ConfigError extends Error {
  /** Dotted key path (`mqtt.client.broker`) or environment variable name, when known. */
  readonly key?: string;

  constructor(message: string, key?: string) {
    super(message);
    this.name = "ConfigError";
    this.key = key;
  }
}
