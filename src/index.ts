/**
 * The package's public API (`import … from 'syncbridge'`): define job types of your own
 * (defineJobType), say how their upstreams are reached (UpstreamConfig), throw the two errors a
 * handler decides with, and run SyncBridge from your own process (createSyncBridge). Small and
 * stable; everything else is the service's inside. README → "Write your own sync" walks through it.
 */
export {
  defineJobType,
  JobTypeDefinitionError,
  type HandlerContext,
  type HandlerJob,
  type JobTypeDefinition,
  type JobTypeOptions,
  type RetryOptions,
} from './platform/defineJobType.js';
export { createSyncBridge, type EmbeddedEnqueueInput, type EmbeddedSyncBridge, type SqlTransaction, type SyncBridgeOptions } from './platform/createSyncBridge.js';
export { UpstreamConfigError, type UpstreamAuth, type UpstreamClient, type UpstreamConfig } from './platform/upstreamClient.js';
export { JobTypesModuleError } from './platform/loadModule.js';
export { defineWebhookSource, WebhookSourceError, type WebhookJob, type WebhookRequest, type WebhookScheme, type WebhookSource } from './platform/webhooks.js';
export { signGithubWebhook, signWebhook, verifyGithubWebhook, verifyWebhook, type SignatureCheck } from './integrations/signature.js';
export type { StandardSchemaV1 } from './platform/standardSchema.js';
export {
  IntegrationError,
  NonRetryableError,
  RetryableError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  ValidationError,
} from './integrations/errors.js';
export { ConfigError } from './config/index.js';
export { DuplicateActiveJobError, InputError, InvalidStateError, NotFoundError } from './queue/errors.js';
export type { Job } from './db/types.js';
