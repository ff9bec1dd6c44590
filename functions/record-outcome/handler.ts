import { refundIfUnchanged } from '../aws/budget-table';
import { publishOnce } from '../aws/notifications';
import { forgetWaits } from '../aws/waits';
import { allWaitKeys } from '../domain/wake';
import { clock } from '../platform/clock';
import { booleanEnv, requiredEnv } from '../platform/env';
import { type Guard, guardSettingsFromEnv, release, targetKeyOf } from '../aws/guard-table';
import { workflowTask } from '../platform/middleware';
import { emitMetricRecords, logger } from '../platform/powertools';
import { EscalateInputSchema, escalateRung } from '../aws/escalation';
import type { ClimbedState } from '../domain/escalation';
import { type OutcomeRecord, type RecordInput, RecordInputSchema, describeOutcome } from '../domain/outcome';
import { DEFAULT_COOLDOWN_SECONDS } from '../domain/policy/defaults';

const notificationTopicArn = requiredEnv('NOTIFICATION_TOPIC_ARN');
const notifyOnSuccess = booleanEnv('NOTIFY_ON_SUCCESS', true);
const guardSettings = guardSettingsFromEnv();

/**
 * The guard step failed (e.g. timed out) after it may have taken the lock, so the state has no
 * guard result: release whatever lock this execution holds on the action's target (the release is
 * conditional on holding it, so a lock never taken is left alone).
 */
function lockTheGuardMayHaveTaken(input: RecordInput): Guard | undefined {
  const action = input.state.plan?.action;
  const targetKey = action ? targetKeyOf(action) : undefined;
  if (input.outcome !== 'failed' || !input.execution || !targetKey) return undefined;
  return { decision: 'proceed', lockAcquired: true, targetKey, owner: input.execution, detail: 'guard step failed' };
}

export async function recordOutcome(
  input: RecordInput,
): Promise<(OutcomeRecord & { notificationMessageId?: string }) | ClimbedState> {
  // Executions started by an earlier definition of the workflow escalate through this function.
  if (input.outcome === 'escalated')
    return escalateRung(guardSettings, { state: EscalateInputSchema.shape.state.parse(input.state) }, clock.now());
  // Every exit path ends here, so this is where the target's lock turns into its cooldown.
  const { state, outcome } = input;
  const guard = state.guard ?? lockTheGuardMayHaveTaken(input);
  const released = guard?.lockAcquired
    ? await release(
        guardSettings,
        guard.owner ?? state.incident?.id ?? '',
        guard,
        {
          acted: state.applied?.applied === true,
          failed: outcome === 'failed' || outcome === 'not-recovered',
          cooldownSeconds: state.plan?.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
        },
        clock.now(),
      )
    : undefined;
  // A wait that timed out into its fallback poll left its token behind (only an action is waited on).
  if (input.execution && state.applied) await forgetWaits(guardSettings.tableName, allWaitKeys(state), input.execution);
  // An action that changed nothing (a no-op, a skip right before its call) gives its budget back.
  await refundIfUnchanged(guardSettings.tableName, guard?.budgetCounted, {
    applied: state.applied?.applied === true,
    changeStarted: released?.changeStarted,
  });
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
  return { ...record, ...(sent.messageId ? { notificationMessageId: sent.messageId } : {}) };
}

export const handler = workflowTask(RecordInputSchema, recordOutcome);
