import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { handler } from '../../functions/verify-recovery/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) =>
  handler(event as never, lambdaContext('VerifyRecoveryFunction')) as Promise<Record<string, unknown>>;
type State = { plan: { dryRun: boolean; verify: { enabled: boolean } }; verification?: object };

beforeEach(() => resetAwsMocks());

describe('VerifyRecoveryFunction', () => {
  it('reports recovery when the triggering alarm is OK, with the time it turned OK', async () => {
    aws.cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'web-cpu-high', StateValue: 'OK', StateUpdatedTimestamp: new Date('2026-11-23T10:20:00Z') },
      ],
    });

    const verification = await invoke(loadEvent('verify-recovery'));

    expect(aws.cloudWatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['web-cpu-high'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(verification).toEqual({
      status: 'recovered',
      attempt: 1,
      detail: 'web-cpu-high is OK',
      alarmState: 'OK',
      recoveredAt: '2026-11-23T10:20:00.000Z',
      nextCheckSeconds: 0,
      exhausted: false,
    });
  });

  it('counts attempts while the alarm is still in ALARM, and backs off within the verify timeout', async () => {
    aws.cloudWatch
      .on(DescribeAlarmsCommand)
      .resolves({ CompositeAlarms: [{ AlarmName: 'web-cpu-high', StateValue: 'ALARM' }] });
    const state = loadEvent<State>('verify-recovery');
    const pendingAfter = (attempt: number) =>
      invoke({
        ...state,
        verification: { status: 'pending', attempt, detail: '', nextCheckSeconds: 60, exhausted: false },
      });

    expect(await pendingAfter(0)).toMatchObject({
      status: 'pending',
      attempt: 1,
      detail: 'web-cpu-high is still ALARM',
      nextCheckSeconds: 120,
      exhausted: false,
    });
    // The fixture's rule: 60 s interval, 900 s timeout, first wait 120 s. Looks at 120, 240, 480, 780, 900 s
    // (sooner when the alarm's OK event comes: these are the fallback).
    const waits = [];
    for (let attempt = 0; attempt < 5; attempt += 1) waits.push(await pendingAfter(attempt));
    expect(waits.map((w) => w.nextCheckSeconds)).toEqual([120, 240, 300, 120, 0]);
    expect(waits.map((w) => w.exhausted)).toEqual([false, false, false, false, true]);
  });

  it('fails with TargetNotFoundError when the alarm was deleted', async () => {
    aws.cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });

    await expect(invoke(loadEvent('verify-recovery'))).rejects.toMatchObject({ name: 'TargetNotFoundError' });
  });

  it('does not look at the alarm after a dry run or when the rule turns verification off', async () => {
    const dry = loadEvent<State>('verify-recovery');
    dry.plan.dryRun = true;
    const off = loadEvent<State>('verify-recovery');
    off.plan.verify.enabled = false;

    expect(await invoke(dry)).toMatchObject({ status: 'skipped' });
    expect(await invoke(off)).toMatchObject({ status: 'not-applicable' });
    expect(aws.cloudWatch.calls()).toHaveLength(0);
  });
});
