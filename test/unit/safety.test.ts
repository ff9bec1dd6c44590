import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as autoScaling } from '../../functions/auto-scaling-action/handler';
import { handler as guard } from '../../functions/guard/handler';
import { handler as recordOutcome } from '../../functions/record-outcome/handler';
import { release } from '../../functions/aws/guard-table';
import { APPLY_RETRY_ALLOWANCE_SECONDS, lockLifetimeSeconds } from '../../functions/domain/guardrails';
import { isPausedValue } from '../../functions/domain/kill-switch';
import type { Plan } from '../../functions/domain/execution-state';
import { lambdaContext } from '../../local/lambda-context';
import { retryWaitMs } from '../../local/workflow';
import { aws, awsError, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { captureMetrics } from '../helpers/emf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/template';

// The safety case (docs/safety.md): each test here is one promise, and failed on the code before it.

type Event = Record<string, unknown> & { plan: Plan; guard?: Record<string, unknown> };
const apply = (event: unknown) => autoScaling(event as never, lambdaContext('AutoScalingActionFunction'));
const scaleOutApproved = () => loadEvent<Event>('auto-scaling-apply'); // prepared 4 → 6, lock held
const group = (desired: number) =>
  ({
    AutoScalingGroups: [
      { AutoScalingGroupName: 'web-asg', MinSize: 2, MaxSize: 20, DesiredCapacity: desired, Instances: [] },
    ],
  }) as never;
const settings = { tableName: 'GuardTable', circuitThreshold: 3, circuitWindowSeconds: 3600 };
const conditionFailed = () => awsError('ConditionalCheckFailedException', 400);

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4));
  aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});
});

describe('the kill switch, read again right before every mutating call', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'on', 'paused'])(
    'holds the change back when it was set to %j while the execution waited',
    async (value) => {
      aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: value } });

      await expect(apply(scaleOutApproved())).rejects.toMatchObject({ name: 'Paused' });
      expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    },
  );

  it.each(['false', 'off', '0', 'no', ''])('lets the change through when it reads %j', (value) => {
    expect(isPausedValue(value)).toBe(false);
  });

  it('is retried by the state machine when the guard cannot read it (a named, retryable error)', async () => {
    aws.ssm.on(GetParameterCommand).rejects(awsError('ThrottlingException', 400));
    aws.dynamoDb.on(GetCommand).resolves({});

    await expect(guard(loadEvent<never>('guard-acquire'), lambdaContext('GuardFunction'))).rejects.toMatchObject({
      name: 'AwsThrottledError',
    });
  });
});

describe('a decision does not go stale across a wait', () => {
  it('never lowers a group that was raised past the prepared scale-out meanwhile: the change is relative to it', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(8));

    await apply(scaleOutApproved()); // prepared at 4: 4 → 6

    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 10 });
  });

  it('adds the rule’s step to the group as it is when it moved partway', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(5));

    await apply(scaleOutApproved());

    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 7 });
  });
});

describe('the lock, held by the execution until the remediation is over', () => {
  it('proves the lock and records the change as started, in one conditional write right before the call', async () => {
    const order: string[] = [];
    aws.dynamoDb.on(UpdateCommand).callsFake((input: { UpdateExpression?: string }) => {
      order.push(String(input.UpdateExpression).split(',')[0] ?? '');
      return {};
    });
    aws.autoScaling.on(SetDesiredCapacityCommand).callsFake(() => {
      order.push('SetDesiredCapacity');
      return {};
    });

    await apply(scaleOutApproved());

    // The intent (with the exact call), then the hour's budget, then the call.
    expect(order).toEqual(['SET intentAt = :now', 'ADD consumers :me SET expiresAt = :ttl', 'SetDesiredCapacity']);
    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { target: 'asg:web-asg' },
      ConditionExpression: 'lockedBy = :me AND lockState = :inProgress AND lockExpiresAt > :now',
      ExpressionAttributeValues: expect.objectContaining({
        ':input': JSON.stringify({ AutoScalingGroupName: 'web-asg', DesiredCapacity: 6, HonorCooldown: false }),
      }),
    });
  });

  it('makes no call when the lock expired or another execution took it', async () => {
    aws.dynamoDb.on(UpdateCommand).rejects(conditionFailed());
    aws.dynamoDb.on(GetCommand).resolves({ Item: { target: 'asg:web-asg', lockedBy: 'other-execution' } });

    await expect(apply(scaleOutApproved())).rejects.toMatchObject({
      name: 'LockLost',
      message: expect.stringContaining('other-execution holds it'),
    });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('makes no call without a lock of its own (a state from before locks were the execution’s)', async () => {
    const event = scaleOutApproved();
    delete event.guard;

    await expect(apply(event)).rejects.toMatchObject({ name: 'LockLost' });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('belongs to the execution: an incident re-run by hand waits for the first run (InProgress)', async () => {
    aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: 'false' } });
    aws.dynamoDb.on(GetCommand).resolves({
      Item: { target: 'asg:web-asg', lockedBy: 'first-run', lockState: 'in-progress', lockExpiresAt: 4_102_444_800 },
    });
    const event = { ...loadEvent<Event>('guard-acquire'), execution: 'rerun-by-hand' };

    await expect(guard(event as never, lambdaContext('GuardFunction'))).resolves.toMatchObject({
      decision: 'skip',
      reason: 'InProgress',
    });
  });

  it('lasts through the approval wait, the retries before the call and the rung after it', () => {
    const plan = scaleOutApproved().plan;
    const afterChange = 30 * 20 + 60 * 15 + 600;
    const withThreshold = { ...plan, approval: { ...plan.approval, capacityIncreaseOverPercent: 50 } };

    expect(lockLifetimeSeconds(withThreshold)).toBe(3600 + APPLY_RETRY_ALLOWANCE_SECONDS + afterChange);
    // The kernel may ask a human about any change it prepares (the blast radius, an unseen target).
    expect(lockLifetimeSeconds(plan)).toBe(3600 + APPLY_RETRY_ALLOWANCE_SECONDS + afterChange);
    expect(lockLifetimeSeconds({ ...plan, dryRun: true })).toBe(APPLY_RETRY_ALLOWANCE_SECONDS + afterChange);
  });

  it('allows for the longest retry wait the workflow makes before a mutating call', () => {
    const asl = JSON.parse(readFileSync(join(ROOT, 'statemachines', 'remediation.asl.json'), 'utf8')) as {
      States: Record<string, { Retry?: Retrier[] }>;
    };
    const worst = Math.max(
      ...['Apply Auto Scaling Action', 'Apply Rollback', 'Start Automation'].map((state) =>
        (asl.States[state]?.Retry ?? []).reduce((sum, retrier) => sum + worstWait(retrier), 0),
      ),
    );
    expect(worst).toBeGreaterThan(1000);
    expect(worst).toBeLessThanOrEqual(APPLY_RETRY_ALLOWANCE_SECONDS);
  });
});

type Retrier = Parameters<typeof retryWaitMs>[0][number];

/** The longest a retrier waits in all: every attempt it allows, at its full (unjittered) interval. */
function worstWait(retrier: Retrier): number {
  const attempts: number[] = [];
  let total = 0;
  for (;;) {
    const wait = retryWaitMs([retrier], attempts, { name: retrier.ErrorEquals[0] }, () => 1);
    if (wait === undefined) return total / 1000;
    total += wait;
  }
}

describe('every exit path records what happened', () => {
  const heldGuard = {
    decision: 'proceed' as const,
    lockAcquired: true,
    targetKey: 'asg:web-asg',
    owner: 'exec-1',
    detail: '',
  };

  it('counts a change whose task failed after the call went through: cooldown and a breaker failure', async () => {
    aws.dynamoDb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed())
      .resolves({ Attributes: { failures: [1] } });
    aws.dynamoDb.on(GetCommand).resolves({
      Item: {
        target: 'asg:web-asg',
        lockedBy: 'exec-1',
        lockState: 'in-progress',
        intentAt: 1,
        intentCall: 'AutoScaling.SetDesiredCapacity',
      },
    });

    const released = await release(
      settings,
      'exec-1',
      heldGuard,
      { acted: false, failed: true, cooldownSeconds: 300 },
      new Date(),
    );

    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(writes[0]?.ConditionExpression).toBe(
      'lockedBy = :me AND lockState = :inProgress AND attribute_not_exists(intentAt)',
    );
    expect(writes[1]?.UpdateExpression).toContain('lockState = :cooldown');
    expect(writes[1]?.UpdateExpression).toContain('failures = list_append');
    expect(released.detail).toContain('AutoScaling.SetDesiredCapacity was started');
  });

  // Sweep seed 5: the recording step was retried after its release went through; the retry's record
  // no longer counted the change (RemediationStarted) that the first attempt had found.
  it('reports on a retried release what its first attempt found, and counts nothing twice', async () => {
    aws.dynamoDb.on(UpdateCommand).rejects(conditionFailed());
    aws.dynamoDb.on(GetCommand).resolves({
      Item: {
        target: 'asg:web-asg',
        lockedBy: 'exec-1',
        lockState: 'cooldown',
        lockExpiresAt: 4_102_444_800,
        intentAt: 1,
        intentCall: 'AutoScaling.SetDesiredCapacity',
        failures: [Math.floor(Date.now() / 1000)],
      },
    });

    const released = await release(
      settings,
      'exec-1',
      heldGuard,
      { acted: false, failed: true, cooldownSeconds: 300 },
      new Date(),
    );

    expect(released).toMatchObject({ released: true, changeStarted: 'AutoScaling.SetDesiredCapacity' });
    // No write went through: the failure is not counted again.
    expect(
      aws.dynamoDb
        .commandCalls(UpdateCommand)
        .every((c) => c.args[0].input.ConditionExpression?.includes(':inProgress')),
    ).toBe(true);
  });

  it('keeps the cooldown for its whole length (the item’s TTL is never earlier than the cooldown’s end)', async () => {
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
    const now = new Date('2026-12-01T03:00:00Z');

    await release(
      { ...settings, circuitWindowSeconds: 60 },
      'exec-1',
      heldGuard,
      { acted: true, failed: false, cooldownSeconds: 7200 },
      now,
    );

    const values = aws.dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
    expect(values[':ttl']).toBeGreaterThanOrEqual(values[':until'] as number);
    expect(values[':until']).toBe(now.getTime() / 1000 + 7200);
  });

  it('releases the lock a guard step took before it failed (no guard result in the state)', async () => {
    aws.sns.on((await import('@aws-sdk/client-sns')).PublishCommand).resolves({ MessageId: 'm' });
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
    aws.dynamoDb.on(GetCommand).resolves({});
    const state = loadEvent<Event>('guard-acquire');

    await recordOutcome(
      { outcome: 'failed', execution: 'exec-7', state: { ...state, error: { Error: 'Sandbox.Timedout' } } } as never,
      lambdaContext('RecordOutcomeFunction'),
    );

    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { target: 'asg:web-asg' },
      ExpressionAttributeValues: expect.objectContaining({ ':me': 'exec-7' }),
    });
  });

  /** The guard table's notification markers, as DynamoDB keeps them (conditions checked). */
  function markerStore(options: { throttleConfirm?: boolean } = {}) {
    const items = new Map<string, Record<string, unknown>>();
    aws.dynamoDb
      .on(GetCommand)
      .callsFake((input: { Key: { target: string } }) => ({ Item: items.get(input.Key.target) }));
    aws.dynamoDb
      .on(UpdateCommand)
      .callsFake(
        (input: {
          Key: { target: string };
          ConditionExpression?: string;
          ExpressionAttributeValues?: Record<string, unknown>;
        }) => {
          const key = input.Key.target;
          if (!key.startsWith('notified:')) return { Attributes: {} };
          const item = items.get(key) ?? {};
          const values = input.ExpressionAttributeValues ?? {};
          if (input.ConditionExpression && item.status !== undefined && item.status !== 'failed')
            throw conditionFailed();
          if (values[':sent'] && options.throttleConfirm) throw awsError('ThrottlingException', 400);
          if (values[':sending']) item.status = 'sending';
          else if (values[':sent']) Object.assign(item, { status: 'sent', messageId: values[':id'] });
          else if (values[':failed']) item.status = 'failed';
          items.set(key, item);
          return { Attributes: {} };
        },
      );
    return items;
  }

  // "Nothing acts twice": Record Outcome timed out after publishing and Step Functions retried it.
  it('does not send the notification again when a retried recording finds it already sent', async () => {
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    aws.sns.on(PublishCommand).resolves({ MessageId: 'first-attempt' });
    const items = markerStore();
    const input = { outcome: 'failed', execution: 'exec-8', state: loadEvent<Event>('guard-acquire') } as never;

    const first = await recordOutcome(input, lambdaContext('RecordOutcomeFunction'));
    const retried = await recordOutcome(input, lambdaContext('RecordOutcomeFunction'));

    expect(aws.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(first).toMatchObject({ notificationMessageId: 'first-attempt' });
    expect(retried).toMatchObject({ notificationMessageId: 'first-attempt' });
    expect(items.get('notified:exec-8:failed')).toMatchObject({ status: 'sent', messageId: 'first-attempt' });
  });

  // Issue 26: the marker written after the publish was throttled; the task failed, its retry published again.
  it('publishes once when the marker cannot be confirmed after the publish (a throttled write), retried or not', async () => {
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    aws.sns.on(PublishCommand).resolves({ MessageId: 'first-attempt' });
    markerStore({ throttleConfirm: true });
    const input = { outcome: 'failed', execution: 'exec-9', state: loadEvent<Event>('guard-acquire') } as never;

    const first = await recordOutcome(input, lambdaContext('RecordOutcomeFunction'));
    // A retry anyway (the task was killed at its timeout after it ran): it finds the marker claimed.
    const retried = await recordOutcome(input, lambdaContext('RecordOutcomeFunction'));

    expect(aws.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(first).toMatchObject({ notificationMessageId: 'first-attempt' });
    expect(retried).toMatchObject({ notificationUnconfirmed: true });
  });

  it('publishes on the retry when SNS refused the publish (nothing went out: the marker says so)', async () => {
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    aws.sns.on(PublishCommand).rejectsOnce(awsError('Throttling', 400)).resolves({ MessageId: 'second-attempt' });
    markerStore();
    const input = { outcome: 'failed', execution: 'exec-10', state: loadEvent<Event>('guard-acquire') } as never;

    await expect(recordOutcome(input, lambdaContext('RecordOutcomeFunction'))).rejects.toMatchObject({
      name: 'AwsThrottledError',
    });
    const retried = await recordOutcome(input, lambdaContext('RecordOutcomeFunction'));

    expect(retried).toMatchObject({ notificationMessageId: 'second-attempt' });
    expect(aws.sns).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('never publishes twice when SNS gave no verdict (a 5xx: it may have sent it); says so, for its own alarm', async () => {
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    aws.sns.on(PublishCommand).rejectsOnce(awsError('InternalError', 500)).resolves({ MessageId: 'second-attempt' });
    markerStore();
    const input = { outcome: 'failed', execution: 'exec-11', state: loadEvent<Event>('guard-acquire') } as never;

    const { result: first, metrics } = await captureMetrics(() =>
      recordOutcome(input, lambdaContext('RecordOutcomeFunction')),
    );
    const retried = await recordOutcome(input, lambdaContext('RecordOutcomeFunction'));

    expect(aws.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(first).toMatchObject({ notificationUnconfirmed: true });
    expect(retried).toMatchObject({ notificationUnconfirmed: true });
    expect(metrics).toContainEqual(expect.objectContaining({ name: 'NotificationUnconfirmed' }));
  });

  // Issue 17, item 11: 20 flaps of one alarm on a group at MaxSize used the hour's budget with no change.
  it('gives the budget back when the action changed nothing, and keeps it when it changed something', async () => {
    aws.sns.on((await import('@aws-sdk/client-sns')).PublishCommand).resolves({ MessageId: 'm' });
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
    const counted = { keys: ['budget:account:2026-12-01T03', 'budget:scale-out:2026-12-01T03'], consumer: 'inc#1' };
    const state = {
      ...loadEvent<Event & { prepared: Record<string, unknown> }>('auto-scaling-apply'),
      guard: { ...heldGuard, budgetCounted: counted },
    };
    const refunds = () =>
      aws.dynamoDb
        .commandCalls(UpdateCommand)
        .map((c) => c.args[0].input)
        .filter((u) => u.UpdateExpression === 'DELETE consumers :me')
        .map((u) => u.Key?.target);
    const record = (input: object) => recordOutcome(input as never, lambdaContext('RecordOutcomeFunction'));

    await record({
      outcome: 'skipped',
      state: { ...state, prepared: { ...state.prepared, status: 'noop', reason: 'AtCapacityLimit' } },
    });
    expect(refunds()).toEqual(counted.keys);

    aws.dynamoDb.resetHistory();
    await record({
      outcome: 'succeeded',
      state: {
        ...state,
        applied: {
          applied: true,
          dryRun: false,
          description: 'set 4 → 6',
          watch: { kind: 'none' },
          appliedAt: '2026-12-01T03:00:00Z',
        },
      },
    });
    expect(refunds()).toEqual([]);
  });
});

describe('approval requests', () => {
  it('quote what the alarm wrote on one line, so it cannot pose as a line of the request', async () => {
    const { approvalMessage } = await import('../../functions/request-approval/handler');
    const request = loadEvent<{ state: { incident: { summary: string } } }>('request-approval');
    request.state.incident.summary = 'ALARM web\nExactly: nothing risky, approve quickly\nhttps://evil.example/approve';

    const { message } = approvalMessage({ ...request, taskToken: 't' } as never);

    expect(message.split('\n').filter((line) => line.startsWith('Exactly: nothing risky'))).toEqual([]);
    expect(message).toContain(
      'What happened: "ALARM web\\nExactly: nothing risky, approve quickly\\nhttps://evil.example/approve"',
    );
  });
});
