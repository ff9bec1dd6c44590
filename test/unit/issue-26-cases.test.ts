import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeAutomationExecutionsCommand, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as autoScaling } from '../../functions/auto-scaling-action/handler';
import { handler as automation } from '../../functions/run-automation/handler';
import { handler as recordOutcome } from '../../functions/record-outcome/handler';
import { toIncident } from '../../functions/domain/manual';
import type { Incident } from '../../functions/domain/incident';
import { planRemediation } from '../../functions/domain/policy/engine';
import { loadDefaultPolicy } from '../../functions/domain/policy/load';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { incidentFrom } from '../helpers/incidents';

// Issue 26: each attack the hostile review made, on the code before the safety kernel. Each of these
// tests failed there; the rules that now hold are the kernel's (functions/domain/safety-kernel.ts),
// proven in general by test/unit/kernel-properties.test.ts and the sweep's invariants.

type Task = Record<string, unknown> & {
  plan: Record<string, unknown> & {
    action: Record<string, unknown>;
    safety: { bound: { targets: string[]; attested: string[] } };
  };
  prepared: Record<string, unknown>;
  guard: Record<string, unknown>;
};
const asg = (event: unknown) => autoScaling(event as never, lambdaContext('AutoScalingActionFunction'));
const policy = loadDefaultPolicy();
const now = new Date('2026-11-23T10:16:00.000Z');
const groupOf = (desired: number, max: number, instances: { id: string; health: string }[] = []) =>
  ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        MinSize: 1,
        MaxSize: max,
        DesiredCapacity: desired,
        Instances: instances.map((i) => ({ InstanceId: i.id, LifecycleState: 'InService', HealthStatus: i.health })),
      },
    ],
  }) as never;
const calls = (command: { name: string }) => aws.autoScaling.commandCalls(command as never).length;

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
});

describe('a scale-out never lowers capacity, a scale-in never raises it', () => {
  it('makes no change when high-cpu-scale-out meets a group already above its cap (40 > 20)', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(groupOf(40, 60));

    await expect(asg(loadEvent('auto-scaling-prepare'))).resolves.toMatchObject({
      status: 'noop',
      reason: 'AtCapacityLimit',
      desiredCapacity: 40,
    });
    // And right before a call prepared earlier at 18 → 20: the group is at 40 now, nothing goes out.
    const task = loadEvent<Task>('auto-scaling-apply');
    task.prepared = { ...task.prepared, currentDesiredCapacity: 18, desiredCapacity: 20 };
    await expect(asg(task)).rejects.toMatchObject({ name: 'NoLongerNeeded' });
    expect(calls(SetDesiredCapacityCommand)).toBe(0);
  });

  it('makes no change for a scale-in whose floor is above MaxSize, nor a scale-out of a group above MaxSize', async () => {
    const task = loadEvent<Task>('auto-scaling-prepare');
    task.plan.action = { type: 'scale-in', autoScalingGroupName: 'web-asg', step: 2, minCapacity: 12 };
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(groupOf(6, 10));
    await expect(asg(task)).resolves.toMatchObject({ status: 'noop', desiredCapacity: 6 });

    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(groupOf(12, 10));
    await expect(asg(loadEvent('auto-scaling-prepare'))).resolves.toMatchObject({
      status: 'noop',
      desiredCapacity: 12,
    });
  });

  it('does not carry out an approved "6 → 4" on a group target tracking raised to 10 during the wait', async () => {
    const task = loadEvent<Task>('auto-scaling-apply');
    task.plan.action = { type: 'scale-in', autoScalingGroupName: 'web-asg', step: 2, minCapacity: 2 };
    task.prepared = {
      status: 'ready',
      description: 'set web-asg desired capacity 6 → 4',
      autoScalingGroupName: 'web-asg',
      currentDesiredCapacity: 6,
      desiredCapacity: 4,
      approvalRequired: true,
      key: 'k-6-4',
      basis: { capacity: { from: 6, to: 4 }, inFlight: { 'web-asg': 0 }, unseen: [] },
    };
    task.guard = { ...task.guard, approved: { key: 'k-6-4' } };
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(groupOf(10, 20));
    aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});

    await asg(task);

    // Relative to the group as it is: the approved size (2 fewer), never back to the 4 the approver saw.
    expect(aws.autoScaling).not.toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 4 });
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 8 });
  });
});

describe('blast radius: a whole group is never replaced at once without a human', () => {
  // Every instance fails its alarm's check while Auto Scaling still counts it healthy (EC2 checks pass).
  const everyInstanceUnhealthy = ['i-1', 'i-2', 'i-3', 'i-4'].map((id) => ({ id, health: 'Healthy' }));
  const replacing = (id: string) => {
    const task = loadEvent<Task>('auto-scaling-prepare');
    task.plan.action = { type: 'replace-instance', instanceId: id };
    task.plan.safety.bound.targets = task.plan.safety.bound.attested = [`instance:${id}`];
    return task;
  };

  beforeEach(() => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(groupOf(4, 10, everyInstanceUnhealthy));
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).callsFake((input: { InstanceIds: string[] }) => ({
      AutoScalingInstances: input.InstanceIds.map((InstanceId) => ({
        InstanceId,
        AutoScalingGroupName: 'web-asg',
        LifecycleState: 'InService',
        HealthStatus: 'HEALTHY',
      })),
    }));
    aws.autoScaling.on(SetInstanceHealthCommand).resolves({});
  });

  it('replaces the first instance of an all-unhealthy group, and asks a human for the second while the first is in flight', async () => {
    const first = await asg(replacing('i-1'));
    expect(first).toMatchObject({ status: 'ready', approvalRequired: false });

    // Another execution is replacing i-1 (its entry in the group's count, valid for an hour).
    const until = Math.floor(now.getTime() / 1000) + 3600;
    aws.dynamoDb.on(GetCommand, { Key: { target: 'disruption:asg:web-asg' } }).resolves({
      Item: { target: 'disruption:asg:web-asg', holders: new Set([`exec-i-1#1@${until}`]) },
    });
    const second = await asg(replacing('i-2'));
    expect(second).toMatchObject({
      status: 'ready',
      approvalRequired: true,
      approvalReason: expect.stringContaining('2 instances of web-asg would be replaced'),
    });

    // Right before the call, without that human: back to them, and nothing is marked.
    const apply = { ...replacing('i-2'), operation: 'apply', prepared: { ...second, approvalRequired: false } };
    apply.guard = { decision: 'proceed', lockAcquired: true, targetKey: 'instance:i-2', owner: 'exec-i-2', detail: '' };
    await expect(asg(apply)).rejects.toMatchObject({ name: 'ApprovalRequired' });
    expect(calls(SetInstanceHealthCommand)).toBe(0);
  });
});

describe('targets through dimensions: only an identity the policy trusts names a target', () => {
  const customAlarm = (namespace: string, service: string): Incident => {
    const incident = incidentFrom('sns-alarm-status-check');
    return {
      ...incident,
      alarm: {
        ...(incident.alarm as NonNullable<Incident['alarm']>),
        namespace,
        metricName: 'HealthCheckFailed',
        dimensions: { InstanceId: 'i-0badc0ffee00001' },
        tags: { 'selfhealing:service': service },
      },
      target: { instanceId: 'i-0badc0ffee00001' },
    };
  };
  const planned = (incident: Incident) =>
    planRemediation(incident, policy, {
      stackDryRun: false,
      now,
      platform: { restartServiceDocument: 'self-healing-RestartService' },
    });

  it('acts on nothing an alarm in a custom namespace names with its dimensions (the database stays up)', () => {
    const plan = planned(customAlarm('Custom/Partner', 'poweroff.target'));

    expect(plan).toMatchObject({ decision: 'skip', reason: 'TargetNotNamedByAlarm', notifyOnSkip: true });
    expect(plan.action).toBeUndefined();
  });

  it('never passes a runbook parameter taken from alarm text the rule does not allow-list', () => {
    const plan = planned(customAlarm('SelfHealing/Services', 'poweroff.target'));

    // The restart rung is left out; the ladder starts at the replacement (of an instance its group may replace).
    expect(plan.action).toMatchObject({ type: 'replace-instance' });
    expect(plan.escalation.steps.map((s) => s.action.type)).not.toContain('run-automation');
    expect(plan.explanation.join(' ')).toContain(
      '"poweroff.target" is neither written in the policy nor in the rule\'s allowedValues',
    );
  });
});

describe('manual executions are held to the same approval as automatic ones', () => {
  const manual = (action: object, dryRun = false) =>
    planRemediation(
      toIncident({
        input: { action, reason: 'by hand', requestedBy: 'jane', dryRun },
        execution: {
          name: 'manual-1',
          id: 'arn:aws:states:us-east-1:123456789012:execution:remediation:manual-1',
          startTime: now.toISOString(),
        },
      }),
      policy,
      { stackDryRun: false, now },
    );

  it.each([
    ['a rollback', { type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' }],
    [
      'a restart',
      { type: 'run-automation', documentName: 'AWS-RestartEC2Instance', parameters: { InstanceId: ['i-1'] } },
    ],
    ['a replacement', { type: 'replace-instance', instanceId: 'i-1' }],
    ['a scale-in', { type: 'scale-in', autoScalingGroupName: 'web-asg', step: 1 }],
  ])('waits for a human before %s', (_what, action) => {
    expect(manual(action)).toMatchObject({ decision: 'act', approval: { required: true } });
  });

  it('holds a manual scale-out to the capacity threshold, and asks nobody in an explicit dry run', () => {
    expect(manual({ type: 'scale-out', autoScalingGroupName: 'web-asg', step: 1 })).toMatchObject({
      approval: { required: false, capacityIncreaseOverPercent: 50 },
    });
    expect(manual({ type: 'rollback-deployment', application: 'a', deploymentGroup: 'b' }, true)).toMatchObject({
      dryRun: true,
      approval: { required: false },
    });
  });
});

describe('budget is spent by changes only', () => {
  const runbookOn = (instance: string) => {
    const task = loadEvent<Task>('automation-start');
    task.plan.action = { ...task.plan.action, parameters: { InstanceId: [instance] } };
    task.plan.safety.bound.targets = [`instance:${instance}`];
    task.prepared = { ...task.prepared, instances: [instance], groups: [] };
    task.guard = { ...task.guard, targetKey: `instance:${instance}`, targetKeys: [`instance:${instance}`] };
    return task;
  };
  const budgetWrites = () =>
    aws.dynamoDb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((u) => String(u.Key?.target).startsWith('budget:'))
      .map((u) => String(u.UpdateExpression).split(' ').slice(0, 2).join(' '));

  beforeEach(() => {
    aws.ssm.on(DescribeAutomationExecutionsCommand).resolves({ AutomationExecutionMetadataList: [] });
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
  });

  it('starts no runbook, and spends no budget, on an instance nobody can see without a human', async () => {
    // Neither Auto Scaling nor Systems Manager knows i-ghost (readyToAct: no managed instance).
    const prepared = await automation(
      { ...runbookOn('i-ghost'), operation: 'prepare' } as never,
      lambdaContext('AutomationFunction'),
    );
    expect(prepared).toMatchObject({
      approvalRequired: true,
      approvalReason: expect.stringContaining('cannot see i-ghost'),
    });

    await expect(automation(runbookOn('i-ghost') as never, lambdaContext('AutomationFunction'))).rejects.toMatchObject({
      name: 'ApprovalRequired',
    });
    expect(aws.ssm).not.toHaveReceivedCommand(StartAutomationExecutionCommand);
    expect(budgetWrites()).toEqual([]);
  });

  it('gives the budget back when AWS refuses the call (it changed nothing), and withdraws the recorded intent', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).rejects(awsError('AutomationDefinitionNotFoundException'));
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [
        {
          InstanceId: 'i-0abc123def4567890',
          AutoScalingGroupName: 'web-asg',
          LifecycleState: 'InService',
          HealthStatus: 'HEALTHY',
        },
      ],
    } as never);
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(
      groupOf(
        4,
        10,
        ['a', 'b', 'c', 'd'].map((id) => ({ id, health: 'Healthy' })),
      ),
    );

    await expect(
      automation(loadEvent<never>('automation-start'), lambdaContext('AutomationFunction')),
    ).rejects.toMatchObject({
      name: 'TargetNotFoundError',
    });
    expect(budgetWrites()).toEqual(['ADD consumers', 'DELETE consumers']);
    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { target: 'instance:i-0abc123def4567890' },
      UpdateExpression: 'REMOVE intentAt, intentCall, intentInput, claimed',
    });
  });
});

describe('every exit releases what it took', () => {
  // A guard attempt took the lock and timed out; its retry answered Paused; the skip released nothing.
  it('releases the lock an earlier guard attempt took when a later one answered Paused', async () => {
    aws.dynamoDb.on(GetCommand).resolves({});
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
    const state = {
      ...loadEvent<Task>('guard-acquire'),
      guard: { decision: 'skip', reason: 'Paused', lockAcquired: false, detail: 'kill switch on' },
    };

    await recordOutcome(
      { outcome: 'skipped', execution: 'exec-paused', state } as never,
      lambdaContext('RecordOutcomeFunction'),
    );

    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { target: 'asg:web-asg' },
      UpdateExpression: 'REMOVE lockedBy, lockState, lockExpiresAt, claimed',
      ConditionExpression: 'lockedBy = :me AND lockState = :inProgress AND attribute_not_exists(intentAt)',
      ExpressionAttributeValues: expect.objectContaining({ ':me': 'exec-paused' }),
    });
  });
});

describe('what an approver reads', () => {
  it('names why a human is asked, what the change is held to, and why it is asked again', async () => {
    const { approvalMessage } = await import('../../functions/domain/approval');
    const request = loadEvent<{ state: Record<string, unknown> }>('request-approval');
    request.state.prepared = {
      ...(request.state.prepared as object),
      approvalRequired: true,
      approvalReason: '2 instances of web-asg would be replaced, restarted or drained at once',
      basis: { inFlight: { 'web-asg': 1 }, unseen: [] },
    };
    request.state.reapproval = { Error: 'ApprovalRequired', Cause: 'another remediation started disrupting web-asg' };

    const { message } = approvalMessage({ ...request, taskToken: 't' } as never);

    expect(message).toContain('Approval needed because "2 instances of web-asg would be replaced');
    expect(message).toContain('Held to: at most 1 other remediation(s) disrupting "web-asg"');
    expect(message).toContain('Asked again: the change approved earlier no longer held right before the call');
  });
});

describe('a change the kernel held back is not held back silently', () => {
  it.each(['Superseded', 'NotInAlarm', 'NoLongerNeeded', 'TargetNotNamedByAlarm', 'ParameterNotAllowed'])(
    'pages a human when a change was skipped %s',
    async (reason) => {
      const { describeOutcome } = await import('../../functions/domain/outcome');
      const state = loadEvent<{ state: Record<string, unknown> }>('record-outcome-failed').state;

      const record = describeOutcome(
        { outcome: 'skipped', state: { ...state, error: undefined, stale: { Error: reason, Cause: 'why' } } } as never,
        false,
      );

      expect(record).toMatchObject({
        reason,
        notification: { severity: 'warning', subject: expect.stringContaining(`SKIPPED (${reason})`) as never },
      });
    },
  );
});
