import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod';
import { callAws } from '../shared/aws-errors';
import { cloudWatch } from '../shared/clients/cloudwatch';
import { clock } from '../shared/clock';
import { TargetNotFoundError } from '../shared/errors';
import { workflowTask } from '../shared/middleware';
import { logger } from '../shared/powertools';
import { PlannedStateSchema, type Verification, VerificationSchema, nextPoll } from '../shared/workflow';

export const VerifyInputSchema = PlannedStateSchema.extend({ verification: VerificationSchema.optional() });
export type VerifyInput = z.infer<typeof VerifyInputSchema>;

/** Read-only. One look at the triggering alarm, and when to look again (backoff within the rule's verify timeout). */
export async function verifyRecovery(state: VerifyInput): Promise<Verification> {
  logger.appendKeys({ incidentId: state.incident.id });
  const attempt = (state.verification?.attempt ?? 0) + 1;
  const alarm = state.incident.alarm;
  const done = nextPoll(state.plan.verify, attempt, true);
  if (state.plan.dryRun) {
    return { status: 'skipped', attempt, ...done, detail: 'dry run: nothing changed, so there is no recovery to verify' };
  }
  if (!state.plan.verify.enabled || !alarm) {
    return { status: 'not-applicable', attempt, ...done, detail: alarm ? 'recovery check is off for this rule' : 'no alarm to watch; the action finishing is the recovery' };
  }
  const out = await callAws('CloudWatch.DescribeAlarms', () =>
    cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarm.name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })),
  );
  const found = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
  if (!found) throw new TargetNotFoundError(`Alarm ${alarm.name} no longer exists`);
  const stateValue = found.StateValue ?? 'UNKNOWN';
  logger.info('Alarm state', { attempt, stateValue });
  if (stateValue === 'OK') {
    const changed = ('StateTransitionedTimestamp' in found ? found.StateTransitionedTimestamp : undefined) ?? found.StateUpdatedTimestamp ?? clock.now();
    return { status: 'recovered', attempt, ...done, detail: `${alarm.name} is OK`, alarmState: stateValue, recoveredAt: changed.toISOString() };
  }
  return { status: 'pending', attempt, ...nextPoll(state.plan.verify, attempt, false), detail: `${alarm.name} is still ${stateValue}`, alarmState: stateValue };
}

export const handler = workflowTask(VerifyInputSchema, verifyRecovery);
