/** `alerts list|history|create|delete`: alert rules (admins change them) and the alerts they fired. */
import { Option, type Command } from 'commander';
import { request } from '../api.js';
import type { Cli } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { table, time } from '../output.js';

type Rule = {
  id: string;
  name: string;
  kind: string;
  jobType: string | null;
  threshold: number;
  windowSeconds: number;
  cooldownSeconds: number;
  enabled: boolean;
  channel: { kind: string; url: string | null; to: string | null; hasSecret: boolean };
};
type Alert = {
  id: string;
  state: string;
  startedAt: string;
  resolvedAt: string | null;
  value: number;
  peak: number;
  summary: string;
  notifications: number;
  rule: { name: string } | null;
};
type Answer = { __typename: string; message?: string; id?: string; name?: string };

const number = (what: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${what} must be a number`);
  return parsed;
};

export function register(program: Command, cli: Cli): void {
  const alerts = program.command('alerts').description('Alert rules and the alerts they fired.');
  registerReads(alerts, cli);
  registerCreate(alerts, cli);
  alerts
    .command('delete')
    .description('Delete an alert rule and its history (admins).')
    .argument('<id>', 'the rule')
    .action(async (id: string) => {
      const data = await request<{ deleteAlertRule: Answer }>(cli.api(), cliDocuments.alertRuleDelete, { id });
      const result = data.deleteAlertRule;
      if (result.__typename !== 'AlertRule') return cli.refuse(result);
      cli.print(result, () => `Alert rule ${result.id} "${result.name}" deleted`);
    });
}

function registerReads(alerts: Command, cli: Cli): void {
  alerts
    .command('list', { isDefault: true })
    .description('Every alert rule.')
    .action(async () => {
      const { alertRules } = await request<{ alertRules: Rule[] }>(cli.api(), cliDocuments.alertRules);
      cli.print(alertRules, () =>
        alertRules.length
          ? table(
              ['id', 'name', 'kind', 'type', 'threshold', 'window', 'channel', 'state'],
              alertRules.map((rule) => [
                rule.id,
                rule.name,
                rule.kind,
                rule.jobType ?? 'all',
                String(rule.threshold),
                `${rule.windowSeconds}s`,
                `${rule.channel.kind} ${rule.channel.url ?? rule.channel.to ?? ''}`,
                rule.enabled ? 'enabled' : 'disabled',
              ]),
            )
          : 'no alert rules',
      );
    });
  alerts
    .command('history')
    .description('The alerts fired, newest first (50).')
    .option('--firing', 'only the ones firing now', false)
    .action(async (options: { firing: boolean }) => {
      const data = await request<{ alerts: { edges: { node: Alert }[] } }>(cli.api(), cliDocuments.alerts, { state: options.firing ? 'FIRING' : null });
      const list = data.alerts.edges.map((edge) => edge.node);
      cli.print(list, () =>
        list.length
          ? table(
              ['id', 'rule', 'state', 'fired', 'resolved', 'what'],
              list.map((alert) => [alert.id, alert.rule?.name ?? '—', alert.state, time(alert.startedAt), alert.resolvedAt ? time(alert.resolvedAt) : '—', alert.summary]),
            )
          : 'no alerts',
      );
    });
}

function registerCreate(alerts: Command, cli: Cli): void {
  alerts
    .command('create')
    .description('Create an alert rule (admins).')
    .argument('<name>', 'a unique name')
    .addOption(new Option('--kind <kind>', 'what it watches').choices(['JOB_DEAD', 'FAILURE_RATE', 'QUEUE_AGE', 'UPSTREAM_OPEN']).makeOptionMandatory())
    .option('--type <jobType>', 'only jobs of this type')
    .option('--threshold <n>', 'JOB_DEAD: dead jobs; FAILURE_RATE: 0.01-1; QUEUE_AGE: seconds', number('--threshold'))
    .option('--window <seconds>', 'the window (60-86400)', number('--window'))
    .option('--min-count <n>', 'FAILURE_RATE: attempts needed', number('--min-count'))
    .option('--cooldown <seconds>', 'told again at most this often while firing', number('--cooldown'))
    .option('--webhook <url>', 'channel: a signed JSON POST here')
    .option('--secret <secret>', 'signs the webhook (16-256 characters)')
    .option('--slack <url>', 'channel: a Slack incoming webhook')
    .option('--email <addresses>', 'channel: email to these, comma-separated (SYNCBRIDGE_SMTP_URL on the server)')
    .action(
      async (
        name: string,
        options: {
          kind: string;
          type?: string;
          threshold?: number;
          window?: number;
          minCount?: number;
          cooldown?: number;
          webhook?: string;
          secret?: string;
          slack?: string;
          email?: string;
        },
      ) => {
        const channel = options.webhook
          ? { kind: 'WEBHOOK', url: options.webhook, secret: options.secret }
          : options.slack
            ? { kind: 'SLACK', url: options.slack }
            : options.email
              ? { kind: 'EMAIL', to: options.email }
              : undefined;
        if (!channel) return cli.refuse({ __typename: 'InputError', message: 'Give a channel: --webhook <url> [--secret …], --slack <url> or --email <addresses>.' });
        const input = {
          name,
          kind: options.kind,
          jobType: options.type,
          threshold: options.threshold,
          windowSeconds: options.window,
          minCount: options.minCount,
          cooldownSeconds: options.cooldown,
          channel,
        };
        const data = await request<{ createAlertRule: Answer }>(cli.api(), cliDocuments.alertRuleCreate, { input });
        const result = data.createAlertRule;
        if (result.__typename !== 'AlertRule') return cli.refuse(result);
        cli.print(result, () => `Alert rule ${result.id} "${result.name}" created`);
      },
    );
}
