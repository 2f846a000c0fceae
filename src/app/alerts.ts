/**
 * Alerts in a process: the internal job type that delivers notifications (syncbridge_alert: each
 * notification a job, so it is leased, retried with backoff, recorded and shown like any), and
 * the evaluator of the rules (worker processes). The type exists before the database is open (the
 * registry is built first); its handler reaches the database once `connect` gave it.
 */
import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { Db } from '../db/types.js';
import { sendNotice, type AlertChannelKind, type AlertNotice } from '../integrations/alertChannels.js';
import { NonRetryableError } from '../integrations/errors.js';
import { defineJobType, type JobTypeDefinition } from '../platform/defineJobType.js';
import { alertJobType } from '../queue/maintenance/alerts.js';

export interface AlertDeliveryDeps {
  db: Db;
  config: Pick<Config, 'smtpUrl' | 'alertEmailFrom' | 'upstreamTimeoutSeconds'>;
  /** This server's address, for the link in notifications (known once it listens). */
  url(): string | undefined;
}

const notification = z.object({ alertId: z.number().int().positive(), event: z.enum(['FIRING', 'STILL_FIRING', 'RESOLVED']) });

export function alertDeliveryType(): { definition: JobTypeDefinition; connect(deps: AlertDeliveryDeps): void } {
  let deps: AlertDeliveryDeps | undefined;
  const definition = defineJobType({
    name: alertJobType,
    description: "SyncBridge's own: delivers one alert notification to its rule's channel (signed webhook, Slack, email).",
    entityType: 'alert',
    source: 'syncbridge',
    target: 'alerts',
    payload: notification,
    // A receiver down for a while still gets it: about 17 minutes of retries at the default backoff base.
    retry: { maxRetries: 9 },
    async handler({ payload, correlationId, signal, logger }) {
      if (!deps) throw new Error('alert delivery is not connected to the database yet');
      const alert = await deps.db.alert.findUnique({ where: { id: payload.alertId }, include: { rule: true } });
      if (!alert) throw new NonRetryableError(`Alert ${payload.alertId} no longer exists (its rule was deleted).`, { errorType: 'NotFound' });
      const { rule } = alert;
      const base = deps.url();
      const notice: AlertNotice = {
        event: payload.event,
        alertId: alert.id,
        rule: { id: rule.id, name: rule.name, kind: rule.kind, jobType: rule.jobType, threshold: rule.threshold, windowSeconds: rule.windowSeconds },
        // The value now, not when it fired: a burst is told whole once the group wait has passed.
        value: alert.value,
        peak: alert.peak,
        summary: alert.summary,
        startedAt: alert.startedAt,
        resolvedAt: alert.resolvedAt,
        link: base ? `${base}/alerts` : null,
      };
      const channel = { kind: rule.channelKind as AlertChannelKind, url: rule.channelUrl, secret: rule.channelSecret, to: rule.channelTo };
      const sent = await sendNotice(channel, notice, {
        smtpUrl: deps.config.smtpUrl,
        emailFrom: deps.config.alertEmailFrom,
        timeoutMs: deps.config.upstreamTimeoutSeconds * 1000,
        correlationId,
        signal,
      });
      logger.info({ alertId: alert.id, event: payload.event, channel: sent.channel }, 'alert notification delivered');
      return { delivered: sent.channel, event: payload.event };
    },
  });
  return { definition, connect: (given) => void (deps = given) };
}
