// Public face of the Manager configuration module: flamenco-manager.yaml, durations,
// listen addresses and variables.

export { ConfigError } from "./errors";
export { DurationError, formatDuration, formatDurationNs, parseDuration, parseDurationNs } from "./durations";
export { ANY_HOST, DEFAULT_PORT, parseListen, parsePort, type ListenAddress } from "./listen";
export { ALL_PLATFORMS, WINDOWS_PLATFORM, goPlatformName } from "../../shared/platform";
export {
  CONFIG_VERSION,
  DEFAULT_VARIABLES,
  validateConfigFile,
  type ConfigFile,
  type VariableDefinition,
  type VariableValueDefinition,
} from "./schema";
export {
  AUDIENCES,
  buildVariableTable,
  makeExpander,
  replaceTwoWay,
  resolveVariables,
  type Audience,
  type Expander,
  type ResolvedVariable,
  type VariableContext,
  type VariableTable,
} from "./variables";
export {
  CONFIG_FILE_NAME,
  buildManagerConfig,
  configAsJson,
  loadConfig,
  type BuildConfigContext,
  type LoadConfigOptions,
  type ManagerConfig,
  type MqttSettings,
  type AuthSettings,
  type BackupSettings,
  DEFAULT_TRUSTED_NETWORKS,
} from "./load";
export { jobStoragePath, sharedStorageLocation } from "./storage";
