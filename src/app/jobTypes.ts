/**
 * Which job types and upstreams a process runs: the ones given in code (createSyncBridge, tests),
 * else the module SYNCBRIDGE_JOB_TYPES names, else the demo's. Resolved before anything starts,
 * so a module that fails to load, a definition that fails to validate or an upstream without its
 * credential stops start-up with one message.
 */
import type { Config } from '../config/index.js';
import { demoJobTypes, demoUpstreams, demoWebhooks } from '../demo/jobTypes.js';
import { JobTypeDefinitionError, type JobTypeDefinition } from '../platform/defineJobType.js';
import { JobTypesModuleError, loadJobTypesModule } from '../platform/loadModule.js';
import { JobTypeRegistry } from '../platform/registry.js';
import type { UpstreamConfig } from '../platform/upstreamClient.js';
import { checkWebhookSources, type WebhookSource } from '../platform/webhooks.js';

export interface JobTypesSource {
  /** Given in code; they take precedence over SYNCBRIDGE_JOB_TYPES. */
  jobTypes?: readonly JobTypeDefinition[];
  upstreams?: Record<string, UpstreamConfig>;
  /** Webhook sources (POST /hooks/<name>); given in code, over the module's. */
  webhooks?: Record<string, WebhookSource>;
}

export interface ResolvedJobTypes {
  registry: JobTypeRegistry;
  upstreams: Record<string, UpstreamConfig>;
  webhooks: Record<string, WebhookSource>;
  /** Where they came from (logged at start-up). */
  origin: 'code' | 'module' | 'demo';
}

/** `internal`: SyncBridge's own types (alert notifications), run beside the team's. */
export async function resolveJobTypes(config: Config, source: JobTypesSource, internal: readonly JobTypeDefinition[] = []): Promise<ResolvedJobTypes> {
  const given = checkWebhookSources(source.webhooks);
  if (source.jobTypes) return { registry: new JobTypeRegistry(source.jobTypes, internal), upstreams: source.upstreams ?? {}, webhooks: given, origin: 'code' };
  if (config.jobTypesModule) {
    const loaded = await loadJobTypesModule(config.jobTypesModule);
    let registry: JobTypeRegistry;
    try {
      registry = new JobTypeRegistry(loaded.jobTypes, internal);
    } catch (error) {
      if (error instanceof JobTypeDefinitionError) throw new JobTypesModuleError(`SYNCBRIDGE_JOB_TYPES=${config.jobTypesModule}: ${error.message}`, { cause: error });
      throw error;
    }
    return { registry, upstreams: source.upstreams ?? loaded.upstreams, webhooks: source.webhooks ? given : loaded.webhooks, origin: 'module' };
  }
  return { registry: new JobTypeRegistry(demoJobTypes, internal), upstreams: source.upstreams ?? demoUpstreams, webhooks: source.webhooks ? given : demoWebhooks, origin: 'demo' };
}
