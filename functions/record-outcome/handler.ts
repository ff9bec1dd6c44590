import { PublishCommand } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { callAws } from '../shared/aws-errors';
import { sns } from '../shared/clients/sns';
import { clock } from '../shared/clock';
import { booleanEnv, requiredEnv } from '../shared/env';
import { guardSettingsFromEnv, release } from '../shared/guard';
import { workflowTask } from '../shared/middleware';
import { logger, metrics } from '../shared/powertools';
import { type OutcomeRecord, type RecordInput, RecordInputSchema, describeOutcome } from './outcome';

const notificationTopicArn = requiredEnv('NOTIFICATION_TOPIC_ARN');
const notifyOnSuccess = booleanEnv('NOTIFY_ON_SUCCESS', true);
const guardSettings = guardSettingsFromEnv();

export async function recordOutcome(input: RecordInput): Promise<OutcomeRecord & { notificationMessageId?: string }> {
  // Every exit path ends here, so this is where the target's lock turns into its cooldown.
  const { state, outcome } = input;
  const released = state.guard?.lockAcquired
    ? await release(guardSettings, state.incident?.id ?? '', state.guard, {
        acted: state.applied?.applied === true,
        failed: outcome === 'failed' || outcome === 'not-recovered',
        cooldownSeconds: state.plan?.cooldownSeconds ?? 300,
      }, clock.now())
    : undefined;
  const record = describeOutcome(input, notifyOnSuccess, released);
  logger.appendKeys({ incidentId: record.incidentId });
  for (const metric of record.metrics) {
    // Each metric has its own dimension set, so each goes out as its own EMF record.
    const single = metrics.singleMetric();
    for (const [name, value] of Object.entries(metric.dimensions)) single.addDimension(name, value);
    single.addMetric(metric.name, metric.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, metric.value);
  }
  logger.info('Remediation outcome', { record });
  if (!record.notification) return record;
  const published = await callAws('SNS.Publish', () =>
    sns.send(
      new PublishCommand({
        TopicArn: notificationTopicArn,
        Subject: record.notification?.subject,
        Message: record.notification?.message,
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: record.notification?.severity ?? 'warning' },
          outcome: { DataType: 'String', StringValue: record.outcome },
        },
      }),
    ),
  );
  return { ...record, ...(published.MessageId ? { notificationMessageId: published.MessageId } : {}) };
}

export const handler = workflowTask(RecordInputSchema, recordOutcome);
