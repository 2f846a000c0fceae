/**
 * Which webhook sources this process serves: each defined source that has a secret
 * (SYNCBRIDGE_WEBHOOK_SECRETS, or the variable its `secretEnv` names). A source without one is
 * not served (it answers 404: an unsigned delivery is never accepted); a secret for a source no
 * module defines stops start-up, since it is a typo that would silently refuse every delivery.
 */
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config/index.js';
import type { WebhookSource } from '../platform/webhooks.js';
import type { EnabledWebhookSource } from '../server/webhooks.js';

export function enabledWebhookSources(config: Config, defined: Record<string, WebhookSource>, logger: Logger): EnabledWebhookSource[] {
  const unknown = config.webhookSecretSources.filter((name) => !(name in defined));
  if (unknown.length) {
    const known = Object.keys(defined);
    throw new ConfigError(
      `SYNCBRIDGE_WEBHOOK_SECRETS names ${unknown.map((name) => `"${name}"`).join(', ')}, which no module defines as a webhook source (${known.length ? `defined: ${known.join(', ')}` : 'none is defined'}).`,
    );
  }
  const enabled: EnabledWebhookSource[] = [];
  const disabled: string[] = [];
  for (const [name, definition] of Object.entries(defined)) {
    const fromVariable = definition.secretEnv
      ? (config.secretOf(definition.secretEnv) ?? '')
          .split(',')
          .map((secret) => secret.trim())
          .filter(Boolean)
      : [];
    const secrets = [...config.webhookSecretsOf(name), ...fromVariable];
    if (!secrets.length) disabled.push(name);
    else enabled.push({ name, definition, secrets, perMinute: definition.deliveriesPerMinute ?? config.webhookDeliveriesPerMinute });
  }
  if (enabled.length)
    logger.info(
      { sources: enabled.map((source) => ({ name: source.name, scheme: source.definition.scheme ?? 'syncbridge', perMinute: source.perMinute })) },
      'webhook sources enabled: POST /hooks/<source>',
    );
  if (disabled.length) logger.info({ sources: disabled }, 'webhook sources defined without a secret are not served (SYNCBRIDGE_WEBHOOK_SECRETS=<source>:<secret>)');
  return enabled;
}
