import type * as z from 'zod';
import { readAlarm } from '../aws/alarms';
import { clock } from '../platform/clock';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import { ExecutionStateSchema, PlannedStateSchema, type Verification, nextPoll } from '../domain/execution-state';

export const VerifyInputSchema = PlannedStateSchema.extend(ExecutionStateSchema.pick({ verification: true }).shape);
export type VerifyInput = z.infer<typeof VerifyInputSchema>;

/** Read-only. One look at the triggering alarm, and when to look again (backoff within the rule's verify timeout). */
export async function verifyRecovery(state: VerifyInput): Promise<Verification> {
  logger.appendKeys({ incidentId: state.incident.id });
  const attempt = (state.verification?.attempt ?? 0) + 1;
  const alarm = state.incident.alarm;
  const done = nextPoll(state.plan.verify, attempt, true);
  // Shadow mode is a dry run that keeps watching: whether the alarm recovers by itself is its evidence.
  if (state.plan.dryRun && !state.plan.shadow) {
    return {
      status: 'skipped',
      attempt,
      ...done,
      detail: 'dry run: nothing changed, so there is no recovery to verify',
    };
  }
  if (!state.plan.verify.enabled || !alarm) {
    return {
      status: 'not-applicable',
      attempt,
      ...done,
      detail: alarm ? 'recovery check is off for this rule' : 'no alarm to watch; the action finishing is the recovery',
    };
  }
  const { state: stateValue, changedAt } = await readAlarm(alarm.name);
  logger.info('Alarm state', { attempt, stateValue });
  if (stateValue === 'OK') {
    const byItself = state.plan.shadow ? ' by itself (shadow mode: nothing was changed)' : '';
    return {
      status: 'recovered',
      attempt,
      ...done,
      detail: `${alarm.name} is OK${byItself}`,
      alarmState: stateValue,
      recoveredAt: changedAt.toISOString(),
    };
  }
  return {
    status: 'pending',
    attempt,
    ...nextPoll(state.plan.verify, attempt, false),
    detail: `${alarm.name} is still ${stateValue}`,
    alarmState: stateValue,
    checkedAt: clock.now().toISOString(),
  };
}

export const handler = workflowTask(VerifyInputSchema, verifyRecovery);
