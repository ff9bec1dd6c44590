import { beforeEach, describe, expect, it } from '@jest/globals';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/record-outcome/handler';
import { describeOutcome } from '../../functions/domain/outcome';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetAwsMocks } from '../helpers/aws-mocks';
import { captureMetrics } from '../helpers/emf';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) => handler(event as never, lambdaContext('RecordOutcomeFunction'));
type RecordEvent = { outcome: string; state: Record<string, unknown> };

function succeededState() {
  const state = loadEvent<Record<string, unknown>>('verify-recovery');
  return {
    ...state,
    verification: {
      status: 'recovered',
      attempt: 2,
      detail: 'web-cpu-high is OK',
      alarmState: 'OK',
      recoveredAt: '2026-11-23T10:19:30.123Z',
    },
  };
}

beforeEach(() => {
  resetAwsMocks();
  aws.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  // The guard table: the release of whatever the execution holds, the notification's marker.
  aws.dynamoDb.on(UpdateCommand).resolves({});
  aws.dynamoDb.on(GetCommand).resolves({});
});

describe('RecordOutcomeFunction', () => {
  it('emits the success metrics with their dimensions, and the times to remediate and to recover', async () => {
    const { result, metrics } = await captureMetrics(() => invoke({ outcome: 'succeeded', state: succeededState() }));

    expect(metrics).toEqual(
      expect.arrayContaining([
        {
          name: 'RemediationStarted',
          value: 1,
          dimensions: expect.objectContaining({ Action: 'scale-out', Environment: 'test' }),
        },
        { name: 'RemediationSucceeded', value: 1, dimensions: expect.objectContaining({ Action: 'scale-out' }) },
        { name: 'TimeToRemediate', value: 94.9, dimensions: expect.objectContaining({ Action: 'scale-out' }) },
        { name: 'TimeToRecover', value: 240, dimensions: expect.objectContaining({ Action: 'scale-out' }) },
      ]),
    );
    expect(result).toMatchObject({
      outcome: 'succeeded',
      timeToRemediateSeconds: 94.9,
      timeToRecoverSeconds: 240,
      notificationMessageId: 'm-1',
    });
  });

  it('pages on a failure with the error, what was done and why', async () => {
    const { metrics } = await captureMetrics(() => invoke(loadEvent('record-outcome-failed')));

    const publish = aws.sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(publish).toMatchObject({
      TopicArn: process.env.NOTIFICATION_TOPIC_ARN,
      Subject: '[SelfHealing] FAILED scale out web-asg by 2 (cap 20): web-cpu-high',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        outcome: { DataType: 'String', StringValue: 'failed' },
      },
    });
    expect(publish?.Message).toContain(
      'Error: ScalingActivityInProgress: "AutoScaling.SetDesiredCapacity: Scaling activity 2d8fc1b3 is in progress',
    );
    expect(publish?.Message).toContain('- "Rule high-cpu-scale-out matched');
    expect(metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['RemediationFailed', 'Notifications']));
  });

  it('records a skip with its reason as a metric dimension and pages only when a human is needed', async () => {
    const state = loadEvent<RecordEvent>('record-outcome-failed').state;
    const noRule = {
      ...state,
      plan: { ...(state.plan as object), decision: 'skip', reason: 'NoMatchingRule', notifyOnSkip: false },
    };

    const { metrics } = await captureMetrics(() =>
      invoke({ outcome: 'skipped', state: { ...noRule, error: undefined, prepared: undefined } }),
    );
    await invoke({
      outcome: 'skipped',
      state: {
        ...state,
        error: undefined,
        prepared: { reason: 'AtCapacityLimit', description: 'web-asg is already at 20' },
      },
    });

    expect(metrics).toContainEqual({
      name: 'RemediationSkipped',
      value: 1,
      dimensions: expect.objectContaining({ Reason: 'NoMatchingRule' }),
    });
    expect(aws.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(aws.sns).toHaveReceivedCommandWith(PublishCommand, {
      Subject: '[SelfHealing] SKIPPED (AtCapacityLimit): web-cpu-high',
    });
  });

  it('still records a failure caught before the plan existed, from the raw execution input', () => {
    const incident = loadEvent<{ input: Record<string, unknown> }>('plan-incident').input;

    const record = describeOutcome(
      { outcome: 'failed', state: { ...incident, error: { Error: 'InvalidInputError', Cause: 'bad' } } } as never,
      true,
    );

    expect(record).toMatchObject({
      outcome: 'failed',
      incidentId: incident.id,
      reason: 'InvalidInputError',
      notification: { severity: 'critical' },
    });
  });

  it('keeps the SNS subject within SNS limits for long unicode alarm names', () => {
    const state = loadEvent<RecordEvent>('record-outcome-failed').state as { incident: { alarm: { name: string } } };
    state.incident.alarm.name = `Prod — ünïcödé ${'x'.repeat(300)}`;

    const subject = describeOutcome({ outcome: 'failed', state } as never, true).notification?.subject ?? '';

    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
  });
});
