import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { callAws } from './aws-errors';
import { cloudWatch } from './clients/cloudwatch';
import { clock } from '../platform/clock';
import { AlreadyRecovered, Stale, TargetNotFoundError } from '../domain/errors';
import type { PlannedState } from '../domain/execution-state';

export interface AlarmReading {
  state: string;
  /** When the alarm last changed state. */
  changedAt: Date;
}

/** One read of an alarm's current state (metric or composite). */
export async function readAlarm(name: string): Promise<AlarmReading> {
  const out = await callAws('CloudWatch.DescribeAlarms', () =>
    cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })),
  );
  const found = out.MetricAlarms?.[0] ?? out.CompositeAlarms?.[0];
  if (!found) throw new TargetNotFoundError(`Alarm ${name} no longer exists`);
  const changedAt =
    ('StateTransitionedTimestamp' in found ? found.StateTransitionedTimestamp : undefined) ??
    found.StateUpdatedTimestamp ??
    clock.now();
  return { state: found.StateValue ?? 'UNKNOWN', changedAt };
}

/**
 * The stale-incident check, right before a mutating call (and on each retry of it): the incident
 * must still be young enough and its alarm still firing. Throws the named error the state machine
 * turns into a skip. INSUFFICIENT_DATA does not count as recovered: it says nothing is known.
 */
export async function assertStillActionable(state: PlannedState, now: Date): Promise<string> {
  const { incident, plan } = state;
  if (plan.notAfter && now.getTime() > Date.parse(plan.notAfter)) {
    throw new Stale(
      `${incident.id} was detected at ${incident.detectedAt}; the maximum age ran out at ${plan.notAfter}`,
    );
  }
  if (!incident.alarm) return 'no alarm to re-read';
  const alarm = await readAlarm(incident.alarm.name);
  if (alarm.state === 'OK') {
    throw new AlreadyRecovered(
      `${incident.alarm.name} is OK again since ${alarm.changedAt.toISOString()}: nothing to do`,
    );
  }
  return `${incident.alarm.name} is still ${alarm.state}`;
}
