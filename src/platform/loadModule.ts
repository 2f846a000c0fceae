/**
 * SYNCBRIDGE_JOB_TYPES: an ES module of the team's own. Its default export is the list of job
 * types (each made by defineJobType); it may also export `upstreams` (name → UpstreamConfig) and
 * `webhooks` (source name → WebhookSource).
 * A module that cannot be loaded, or whose exports are not that, stops start-up with one message
 * saying what is wrong (exit 2, like a bad variable).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJobTypeDefinition, type JobTypeDefinition } from './defineJobType.js';
import type { UpstreamConfig } from './upstreamClient.js';
import { checkWebhookSources, WebhookSourceError, type WebhookSource } from './webhooks.js';

export class JobTypesModuleError extends Error {
  override name = 'JobTypesModuleError';
}

export interface JobTypesModule {
  jobTypes: JobTypeDefinition[];
  upstreams: Record<string, UpstreamConfig>;
  webhooks: Record<string, WebhookSource>;
}

export async function loadJobTypesModule(path: string, cwd = process.cwd()): Promise<JobTypesModule> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  const where = `SYNCBRIDGE_JOB_TYPES=${path}`;
  if (!existsSync(file)) throw new JobTypesModuleError(`${where}: no such file (${file}).`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new JobTypesModuleError(`${where}: the module failed to load: ${(error as Error).message}`, { cause: error });
  }
  const list = exports.default;
  if (!Array.isArray(list)) throw new JobTypesModuleError(`${where}: its default export must be an array of job types (export default [defineJobType({ … })]).`);
  const wrong = list.findIndex((item) => !isJobTypeDefinition(item));
  if (wrong >= 0) throw new JobTypesModuleError(`${where}: item ${wrong} of its default export was not made by defineJobType (import { defineJobType } from 'syncbridge').`);
  const upstreams = exports.upstreams ?? {};
  if (typeof upstreams !== 'object' || upstreams === null || Array.isArray(upstreams)) {
    throw new JobTypesModuleError(`${where}: its \`upstreams\` export must be an object of name → { baseUrl, headers?, auth?, timeoutSeconds?, rateLimitPerSecond? }.`);
  }
  let webhooks: Record<string, WebhookSource>;
  try {
    webhooks = checkWebhookSources(exports.webhooks);
  } catch (error) {
    if (error instanceof WebhookSourceError) throw new JobTypesModuleError(`${where}: its \`webhooks\` export: ${error.message}`, { cause: error });
    throw error;
  }
  return { jobTypes: list as JobTypeDefinition[], upstreams: upstreams as Record<string, UpstreamConfig>, webhooks };
}
