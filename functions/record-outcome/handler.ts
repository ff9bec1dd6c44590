import { releaseRung } from '../aws/release';
import { publishOnce } from '../aws/notifications';
import { forgetWaits } from '../aws/waits';
import { allWaitKeys } from '../domain/wake';
import { clock } from '../platform/clock';
import { booleanEnv, requiredEnv } from '../platform/env';
import { guardSettingsFromEnv } from '../aws/guard-table';
import { workflowTask } from '../platform/middleware';
import { emitMetricRecords, logger } from '../platform/powertools';
import { EscalateInputSchema, escalateRung } from '../aws/escalation';
import type { ClimbedState } from '../domain/escalation';
import { type OutcomeRecord, type RecordInput, RecordInputSchema, describeOutcome } from '../domain/outcome';
import { DEFAULT_COOLDOWN_SECONDS } from '../domain/policy/defaults';

const notificationTopicArn = requiredEnv('NOTIFICATION_TOPIC_ARN');
const notifyOnSuccess = booleanEnv('NOTIFY_ON_SUCCESS', true);
const guardSettings = guardSettingsFromEnv();

export async function recordOutcome(
  input: RecordInput,
): Promise<(OutcomeRecord & { notificationMessageId?: string; notificationUnconfirmed?: boolean }) | ClimbedState> {
  // Executions started by an earlier definition of the workflow escalate through this function.
  if (input.outcome === 'escalated')
    return escalateRung(guardSettings, { state: EscalateInputSchema.shape.state.parse(input.state) }, clock.now());
  // Every exit path ends here, so this is where the target's lock turns into its cooldown, and
  // whatever the execution took for its change is given back (aws/release.ts).
  const { state, outcome } = input;
  const owner = state.guard?.owner ?? input.execution ?? state.incident?.id;
  const released = owner
    ? await releaseRung(
        guardSettings,
        owner,
        { guard: state.guard, action: state.plan?.action, applied: state.applied?.applied === true },
        {
          failed: outcome === 'failed' || outcome === 'not-recovered',
          cooldownSeconds: state.plan?.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
        },
        clock.now(),
      )
    : undefined;
  // A wait that timed out into its fallback poll left its token behind (only an action is waited on).
  if (input.execution && state.applied) await forgetWaits(guardSettings.tableName, allWaitKeys(state), input.execution);
  const record = describeOutcome(input, notifyOnSuccess, released, clock.now());
  logger.appendKeys({ incidentId: record.incidentId });
  emitMetricRecords(record.metrics);
  logger.info('Remediation outcome', { record });
  if (!record.notification) return record;
  // One notification per execution and outcome, even when this task is retried after publishing.
  const sent = await publishOnce(
    guardSettings.tableName,
    notificationTopicArn,
    input.execution ? `${input.execution}:${outcome}` : undefined,
    { ...record.notification, outcome: record.outcome },
    clock.now(),
  );
  if (sent.alreadySent) logger.info('Notification already sent by an earlier attempt', { messageId: sent.messageId });
  return {
    ...record,
    ...(sent.messageId ? { notificationMessageId: sent.messageId } : {}),
    ...(sent.unconfirmed ? { notificationUnconfirmed: true } : {}),
  };
}

export const handler = workflowTask(RecordInputSchema, recordOutcome);
