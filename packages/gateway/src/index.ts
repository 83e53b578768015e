// @edgepass/gateway: the edge pipeline (authenticate → authorize → limit → passport → proxy).
export { GatewayMetrics } from './admin/metrics.ts';
export { PASSPORT_JWKS_PATH } from './admin/server.ts';
export type { Principal } from './authn/types.ts';
export { type ClusterOptions, runGatewayCluster, workerCount } from './cluster.ts';
export { configJsonSchema, configJsonSchemaText } from './config/json-schema.ts';
export { loadConfigFile, parseConfigText, validateConfig } from './config/load.ts';
export type { GatewayConfig, GatewayConfigInput, IssuerConfig, RouteConfig } from './config/schema.ts';
export {
  AuthnError,
  type AuthnReason,
  ConfigError,
  type ConfigIssue,
  ERRORS,
  type ErrorCode,
  GatewayError,
} from './errors.ts';
export { type RunningGateway, type StartGatewayOptions, startGateway } from './gateway.ts';
