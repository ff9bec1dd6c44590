import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { nextCapacity } from '../../functions/domain/safety-kernel';
import { handler } from '../../functions/auto-scaling-action/handler';
import { lambdaContext } from '../../local/lambda-context';
import {
  alarmAnsweredAlongside,
  aws,
  awsError,
  earlierAttemptClaimed,
  readyToAct,
  resetAwsMocks,
} from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) =>
  handler(event as never, lambdaContext('AutoScalingActionFunction')) as Promise<Record<string, unknown>>;
const describeGroup = (desired: number, min = 2, max = 10) =>
  ({
    AutoScalingGroups: [{ AutoScalingGroupName: 'web-asg', MinSize: min, MaxSize: max, DesiredCapacity: desired }],
  }) as never;

type Task = {
  plan: {
    dryRun: boolean;
    action: Record<string, unknown>;
    safety: { bound: { targets: string[]; attested: string[] } };
  };
  prepared: Record<string, unknown>;
};

/** The plan replaces this instance, which its incident names (as an AWS/EC2 InstanceId alarm would). */
function replacing<T extends Task>(task: T, instanceId: string): T {
  task.plan.action = { type: 'replace-instance', instanceId };
  task.plan.safety.bound.targets = [`instance:${instanceId}`];
  task.plan.safety.bound.attested = [`instance:${instanceId}`];
  return task;
}

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
});

describe('nextCapacity (the kernel, domain/safety-kernel.ts)', () => {
  const out = { type: 'scale-out', autoScalingGroupName: 'g', step: 2 } as const;
  const inn = { type: 'scale-in', autoScalingGroupName: 'g', step: 2 } as const;

  it.each([
    [out, { minSize: 2, maxSize: 10, desired: 4 }, { to: 6 }],
    [out, { minSize: 2, maxSize: 5, desired: 4 }, { to: 5, limitedBy: 'MaxSize 5' }],
    [
      { ...out, maxCapacity: 5 },
      { minSize: 2, maxSize: 10, desired: 4 },
      { to: 5, limitedBy: 'rule cap 5' },
    ],
    [out, { minSize: 3, maxSize: 10, desired: 0 }, { to: 3 }],
    [inn, { minSize: 2, maxSize: 10, desired: 6 }, { to: 4 }],
    [inn, { minSize: 2, maxSize: 10, desired: 3 }, { to: 2, limitedBy: 'MinSize 2' }],
    [
      { ...inn, minCapacity: 5 },
      { minSize: 2, maxSize: 10, desired: 6 },
      { to: 5, limitedBy: 'rule floor 5' },
    ],
  ])('%o on %o → %o', (action, group, expected) => {
    expect(nextCapacity(action, group)).toEqual(expected);
  });

  // Issue 26: each of these was a change in the wrong direction.
  it.each([
    [
      'a scale-out of a group above its cap (40 > 20)',
      { ...out, maxCapacity: 20 },
      { minSize: 2, maxSize: 60, desired: 40 },
    ],
    ['a scale-out of a group above its MaxSize', out, { minSize: 2, maxSize: 10, desired: 12 }],
    ['a scale-in whose floor is above MaxSize', { ...inn, minCapacity: 12 }, { minSize: 2, maxSize: 10, desired: 6 }],
    ['a scale-in at its floor', { ...inn, minCapacity: 6 }, { minSize: 2, maxSize: 10, desired: 6 }],
  ])('makes no change for %s', (_what, action, group) => {
    expect(nextCapacity(action, group)).toHaveProperty('noop');
  });
});

describe('AutoScalingActionFunction', () => {
  it('prepares an absolute desired capacity from the group as described', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(4));

    const prepared = await invoke(loadEvent('auto-scaling-prepare'));

    expect(aws.autoScaling).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: ['web-asg'],
    });
    expect(prepared).toMatchObject({
      status: 'ready',
      description: 'set web-asg desired capacity 4 → 6',
      autoScalingGroupName: 'web-asg',
      currentDesiredCapacity: 4,
      desiredCapacity: 6,
      approvalRequired: false,
      basis: { capacity: { from: 4, to: 6 } },
    });
  });

  it('prepares no change when the group is already at its limit', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(10));

    expect(await invoke(loadEvent('auto-scaling-prepare'))).toMatchObject({
      status: 'noop',
      reason: 'AtCapacityLimit',
    });
  });

  it('fails with TargetNotFoundError when the group does not exist', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

    await expect(invoke(loadEvent('auto-scaling-prepare'))).rejects.toMatchObject({ name: 'TargetNotFoundError' });
  });

  it('applies exactly the prepared capacity with HonorCooldown false', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(4));
    aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});

    const applied = await invoke(loadEvent('auto-scaling-apply'));

    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-asg',
      DesiredCapacity: 6,
      HonorCooldown: false,
    });
    expect(applied).toMatchObject({
      applied: true,
      dryRun: false,
      watch: { kind: 'auto-scaling-group', autoScalingGroupName: 'web-asg', desiredCapacity: 6 },
    });
  });

  it('makes no call in a dry run and says what it would have done', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(4));
    const task = loadEvent<Task>('auto-scaling-apply');
    task.plan.dryRun = true;

    const applied = await invoke(task);

    // It rehearses the decision on the group as it is: reads, and no change.
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetInstanceHealthCommand);
    expect(applied).toMatchObject({
      applied: false,
      dryRun: true,
      description: 'Dry run: would set web-asg desired capacity 4 → 6',
      watch: { kind: 'none' },
    });
  });

  const claimed = (desired: number) => ({
    operation: 'AutoScaling.SetDesiredCapacity',
    input: { AutoScalingGroupName: 'web-asg', DesiredCapacity: desired, HonorCooldown: false },
  });
  const owner = 'alarm-web-cpu-high-f7043769cb7b8bad5936';

  it('does not call again when an earlier attempt already set the capacity (a retry after a timeout)', async () => {
    earlierAttemptClaimed(owner, claimed(6));
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(6));

    const applied = await invoke(loadEvent('auto-scaling-apply'));

    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(applied).toMatchObject({
      applied: true,
      description: 'set web-asg desired capacity 4 → 6 (already applied: web-asg desired capacity is already 6)',
    });
  });

  it('makes exactly the call an earlier attempt recorded again, never a recomputed one (nothing adds twice)', async () => {
    // The earlier attempt set 6 and its answer was lost; the group is at 5 now (someone took one away).
    earlierAttemptClaimed(owner, claimed(6));
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(5));
    aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});

    await invoke(loadEvent('auto-scaling-apply'));

    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 6 });
  });

  it('does not repeat a recorded scale-out that would now lower the group (raised further meanwhile)', async () => {
    earlierAttemptClaimed(owner, claimed(6));
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(9));

    await expect(invoke(loadEvent('auto-scaling-apply'))).rejects.toMatchObject({ name: 'NoLongerNeeded' });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('re-reads the alarm and the group together, one round trip before the write', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(4));
    aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});
    alarmAnsweredAlongside(() => aws.autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).length > 0);

    await invoke(loadEvent('auto-scaling-apply'));

    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
  });

  it('skips as AlreadyRecovered when the alarm is OK again, even if the group read failed', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).rejects(awsError('Throttling'));
    alarmAnsweredAlongside(() => aws.autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).length > 0, 'OK');

    await expect(invoke(loadEvent('auto-scaling-apply'))).rejects.toMatchObject({ name: 'AlreadyRecovered' });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it.each([
    ['Throttling', 400, 'AwsThrottledError'],
    ['ScalingActivityInProgress', 400, 'ScalingActivityInProgress'],
    ['InternalFailure', 500, 'AwsTransientError'],
    ['ValidationError', 400, 'ValidationError'],
  ])('maps %s (HTTP %s) from SetDesiredCapacity to %s for the state machine', async (name, status, expected) => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(describeGroup(4));
    aws.autoScaling.on(SetDesiredCapacityCommand).rejects(awsError(name, status));

    await expect(invoke(loadEvent('auto-scaling-apply'))).rejects.toMatchObject({ name: expected });
  });

  it('replaces an instance of a group by marking it Unhealthy, ignoring the grace period', async () => {
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [
        {
          InstanceId: 'i-0abc123def4567890',
          AutoScalingGroupName: 'web-asg',
          HealthStatus: 'HEALTHY',
          LifecycleState: 'InService',
        },
      ],
    } as never);
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'web-asg',
          MinSize: 2,
          MaxSize: 10,
          DesiredCapacity: 4,
          Instances: ['i-0abc123def4567890', 'i-0abc123def4567891', 'i-0abc123def4567892', 'i-0abc123def4567893'].map(
            (InstanceId) => ({ InstanceId, HealthStatus: 'Healthy', LifecycleState: 'InService' }),
          ),
        },
      ],
    } as never);
    aws.autoScaling.on(SetInstanceHealthCommand).resolves({});
    const task = replacing(loadEvent<Task & { operation: string }>('auto-scaling-prepare'), 'i-0abc123def4567890');

    const prepared = await invoke(task);
    const guard = { decision: 'proceed', targetKey: 'instance:i-0abc123def4567890', lockAcquired: true, detail: '' };
    const applied = await invoke({ ...task, operation: 'apply', prepared, guard });

    expect(prepared).toMatchObject({
      status: 'ready',
      autoScalingGroupName: 'web-asg',
      desiredCapacity: 4,
      instanceId: 'i-0abc123def4567890',
    });
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetInstanceHealthCommand, {
      InstanceId: 'i-0abc123def4567890',
      HealthStatus: 'Unhealthy',
      ShouldRespectGracePeriod: false,
    });
    expect(applied).toMatchObject({
      watch: { kind: 'auto-scaling-group', replacedInstanceId: 'i-0abc123def4567890', desiredCapacity: 4 },
    });
  });

  it('prepares no change for an instance no Auto Scaling group owns', async () => {
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    const task = replacing(loadEvent<Task>('auto-scaling-prepare'), 'i-0abc123def4567890');

    expect(await invoke(task)).toMatchObject({ status: 'noop', reason: 'NotInAutoScalingGroup' });
  });

  it('rejects a state that does not match its input schema, naming the field', async () => {
    await expect(invoke({ operation: 'apply', incident: {}, plan: {} })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('incident.id: expected string'),
    });
  });
});
