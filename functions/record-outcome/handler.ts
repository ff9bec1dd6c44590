import { PublishCommand } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { callAws } from '../aws/aws-errors';
import { sns } from '../aws/clients/sns';
import { clock } from '../platform/clock';
import { booleanEnv, requiredEnv } from '../platform/env';
import { guardSettingsFromEnv, release } from '../aws/guard-table';
import { workflowTask } from '../platform/middleware';
import { logger, metrics } from '../platform/powertools';
import { type ClimbedState, ClimbInputSchema, climb } from '../domain/escalation';
import {
  type MetricRecord,
  type OutcomeRecord,
  type RecordInput,
  RecordInputSchema,
  describeOutcome,
  stepMetrics,
} from '../domain/outcome';
import { DEFAULT_COOLDOWN_SECONDS } from '../domain/policy/schema';

const notificationTopicArn = requiredEnv('NOTIFICATION_TOPIC_ARN');
const notifyOnSuccess = booleanEnv('NOTIFY_ON_SUCCESS', true);
const guardSettings = guardSettingsFromEnv();

function emit(records: MetricRecord[]): void {
  for (const metric of records) {
    // Each metric has its own dimension set, so each goes out as its own EMF record.
    const single = metrics.singleMetric();
    for (const [name, value] of Object.entries(metric.dimensions)) single.addDimension(name, value);
    single.addMetric(metric.name, metric.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, metric.value);
  }
}

/** A rung of the ladder is over without OK: its lock becomes a cooldown, its outcome a metric, and the plan moves up a rung. */
export async function escalate(input: RecordInput): Promise<ClimbedState> {
  const state = ClimbInputSchema.parse(input.state);
  logger.appendKeys({ incidentId: state.incident.id });
  const now = clock.now();
  const guard = input.state.guard;
  const acted = state.applied?.applied === true;
  const released = guard?.lockAcquired
    ? await release(
        guardSettings,
        state.incident.id,
        guard,
        { acted, failed: acted, cooldownSeconds: state.plan.cooldownSeconds },
        now,
      )
    : undefined;
  const { left, next } = climb(state, now);
  emit(stepMetrics(left));
  logger.info('Escalating to the next step', { left, next: next.plan.action, released });
  return next;
}

export async function recordOutcome(
  input: RecordInput,
): Promise<(OutcomeRecord & { notificationMessageId?: string }) | ClimbedState> {
  if (input.outcome === 'escalated') return escalate(input);
  // Every exit path ends here, so this is where the target's lock turns into its cooldown.
  const { state, outcome } = input;
  const released = state.guard?.lockAcquired
    ? await release(
        guardSettings,
        state.incident?.id ?? '',
        state.guard,
        {
          acted: state.applied?.applied === true,
          failed: outcome === 'failed' || outcome === 'not-recovered',
          cooldownSeconds: state.plan?.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
        },
        clock.now(),
      )
    : undefined;
  const record = describeOutcome(input, notifyOnSuccess, released, clock.now());
  logger.appendKeys({ incidentId: record.incidentId });
  emit(record.metrics);
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
