import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { PublishCommand } from '@aws-sdk/client-sns';
import {
  GetAutomationExecutionCommand,
  GetParameterCommand,
  StartAutomationExecutionCommand,
} from '@aws-sdk/client-ssm';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import validateAsl from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { FUNCTION_HANDLERS } from '../../local/functions';
import { isPlanStep } from '../../functions/domain/manual';
import { LocalWorkflow, type LambdaHandler, substitutedDefinition } from '../../local/workflow';
import {
  aws,
  awsError,
  guardAllowsEverything,
  guardTableKeepsIntents,
  ingested,
  resetAwsMocks,
} from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { incidentFrom } from '../helpers/incidents';
import {
  alarmIs,
  alarmRecoversAfter,
  group,
  groupFollowsCalls,
  groupLaunches,
  publishedSubjects,
} from '../helpers/workflow-mocks';

// Built once: constructing a machine validates the definition (~60 ms).
// The on-call engineer of these tests approves whatever is asked; tests that reject build their own.
const workflow = new LocalWorkflow(FUNCTION_HANDLERS, () => Promise.resolve({ approved: true, by: 'test' }));

beforeEach(() => {
  resetAwsMocks();
  aws.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  guardAllowsEverything();
  // The kill switch is cached for 60 s per container; each test is a fresh container here.
  forgetKillSwitch();
});

describe('remediation.asl.json', () => {
  it('is valid ASL once its substitutions are applied', () => {
    const result = validateAsl(substitutedDefinition());
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('records an incident no rule matches as skipped, without acting or paging', async () => {
    const incident = incidentFrom('sns-alarm-composite');
    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual(['Plan Remediation', 'Should Act?', 'Record Skip']);
    expect(run.output).toMatchObject({
      plan: { decision: 'skip', reason: 'NoMatchingRule' },
      record: { outcome: 'skipped', reason: 'NoMatchingRule' },
    });
    expect(aws.autoScaling.calls()).toHaveLength(0);
    expect(aws.sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('scales out to an absolute target, polls until the instances are in service, and verifies the alarm is OK', async () => {
    groupLaunches(4); // after the call: 4, 5, then 6 in service
    alarmRecoversAfter(1);
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-asg',
      DesiredCapacity: 6,
      HonorCooldown: false,
    });
    expect(run.states.filter((s) => s === 'Check Progress')).toHaveLength(3);
    expect(run.states.filter((s) => s === 'Verify Recovery')).toHaveLength(2);
    expect(run.states.at(-1)).toBe('Record Success');
    expect(run.output).toMatchObject({
      record: { outcome: 'succeeded', rule: 'high-cpu-scale-out', timeToRecoverSeconds: 239.9 },
      progress: { status: 'done', detail: '6/6 InService and healthy' },
    });
    expect(publishedSubjects()).toEqual(['[SelfHealing] REMEDIATED scale out web-asg by 2 (cap 20): web-cpu-high']);
  });

  it('replaces an instance that failed its status check through its Auto Scaling group', async () => {
    const instanceId = 'i-0abc123def4567890';
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [{ InstanceId: instanceId, AutoScalingGroupName: 'web-asg' }],
    } as never);
    const withOld = group(4, 3);
    (withOld as { AutoScalingGroups: { Instances: object[] }[] }).AutoScalingGroups[0]?.Instances.push({
      InstanceId: instanceId,
      LifecycleState: 'Terminating',
      HealthStatus: 'Unhealthy',
    });
    aws.autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce(group(4, 4))
      .resolvesOnce(withOld)
      .resolves(group(4, 4));
    aws.autoScaling.on(SetInstanceHealthCommand).resolves({});
    alarmRecoversAfter(0);
    const incident = incidentFrom('sns-alarm-status-check');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetInstanceHealthCommand, {
      InstanceId: instanceId,
      HealthStatus: 'Unhealthy',
      ShouldRespectGracePeriod: false,
    });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(run.output).toMatchObject({ record: { outcome: 'succeeded', rule: 'instance-status-check-replace' } });
  });

  it('rolls back a bad deployment by redeploying the last good revision and waits for it', async () => {
    const good = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'web-1.4.1.zip', bundleType: 'zip' } };
    const bad = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'web-1.5.0.zip', bundleType: 'zip' } };
    aws.codeDeploy.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: { lastAttemptedDeployment: { deploymentId: 'd-BAD000002', status: 'Succeeded' } },
    } as never);
    aws.codeDeploy.on(GetDeploymentCommand, { deploymentId: 'd-BAD000002' }).resolves({
      deploymentInfo: {
        deploymentId: 'd-BAD000002',
        status: 'Succeeded',
        createTime: new Date('2026-11-23T10:00:00Z'),
        revision: bad,
      },
    } as never);
    aws.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-BAD000002', 'd-GOOD00001', 'd-OLD000000'] });
    aws.codeDeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        {
          deploymentId: 'd-OLD000000',
          status: 'Succeeded',
          createTime: new Date('2026-11-01T10:00:00Z'),
          revision: bad,
        },
        {
          deploymentId: 'd-GOOD00001',
          status: 'Succeeded',
          createTime: new Date('2026-11-20T10:00:00Z'),
          revision: good,
        },
      ],
    } as never);
    aws.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW000003' });
    aws.codeDeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-NEW000003' })
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-NEW000003', status: 'InProgress' } } as never)
      .resolves({ deploymentInfo: { deploymentId: 'd-NEW000003', status: 'Succeeded' } } as never);
    alarmRecoversAfter(0);
    const incident = incidentFrom('sns-alarm-error-rate');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(aws.codeDeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 1);
    expect(aws.codeDeploy).toHaveReceivedCommandWith(CreateDeploymentCommand, {
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      revision: good,
    });
    expect(run.output).toMatchObject({
      progress: { detail: 'deployment d-NEW000003 Succeeded' },
      record: { outcome: 'succeeded', rule: 'error-rate-rollback' },
    });
  });

  it('runs an SSM Automation runbook with an idempotency token and waits for it to finish', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'auto-123' });
    aws.ssm
      .on(GetAutomationExecutionCommand)
      .resolvesOnce({ AutomationExecution: { AutomationExecutionStatus: 'InProgress' } })
      .resolves({ AutomationExecution: { AutomationExecutionStatus: 'Success' } });
    alarmRecoversAfter(0);
    const input = loadEvent<{ incident: unknown }>('automation-start').incident;

    const run = await workflow.run(ingested(input), { executionName: (input as { id: string }).id });

    expect(run.status).toBe('SUCCEEDED');
    const start = aws.ssm.commandCalls(StartAutomationExecutionCommand)[0]?.args[0].input;
    expect(start).toMatchObject({
      DocumentName: 'AWS-RestartEC2Instance',
      Parameters: { InstanceId: ['i-0abc123def4567890'], AutomationAssumeRole: [process.env.AUTOMATION_ROLE_ARN] },
    });
    expect(start?.ClientToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(run.output).toMatchObject({ record: { outcome: 'succeeded', rule: 'system-status-check-restart' } });
  });

  it('notifies a human about a failed CodeDeploy deployment', async () => {
    const incident = incidentFrom('eventbridge-codedeploy-failure');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual(['Plan Remediation', 'Should Act?', 'Check Guardrails', 'Route', 'Notify Operator']);
    expect(aws.ssm).not.toHaveReceivedCommand(GetParameterCommand);
    expect(aws.sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: process.env.NOTIFICATION_TOPIC_ARN,
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        outcome: { DataType: 'String', StringValue: 'notified' },
        // Subscribers that deduplicate (e.g. a paging service) key on it.
        dedupKey: { DataType: 'String', StringValue: `${incident.id}:notified` },
      },
    });
  });

  it('catches a failed action, records it and notifies, then fails the execution with the action error', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'auto-456' });
    aws.ssm.on(GetAutomationExecutionCommand).resolves({
      AutomationExecution: { AutomationExecutionStatus: 'Failed', FailureMessage: 'Step stopInstances failed' },
    });
    const input = loadEvent<{ incident: unknown }>('automation-start').incident;

    const run = await workflow.run(ingested(input), { executionName: (input as { id: string }).id });

    expect(run.status).toBe('FAILED');
    expect(run.error?.Error).toBe('ActionFailedError');
    expect(run.states.slice(-3)).toEqual(['Record Failure', 'Describe Remediation Failed', 'Remediation Failed']);
    expect(publishedSubjects()[0]).toMatch(/^\[SelfHealing\] FAILED run AWS-RestartEC2Instance/);
    const message = aws.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    expect(message).toContain('Step stopInstances failed');
  });

  it('escalates when the action completes but the alarm never returns to OK', async () => {
    groupFollowsCalls(4);
    aws.cloudWatch.on(DescribeAlarmsCommand).resolves(alarmIs('ALARM'));
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('FAILED');
    expect(run.error?.Error).toBe('RecoveryNotVerified');
    // high-cpu-scale-out verifies every 60 s for 900 s: 15 looks, then a human.
    // Backoff within the 900 s verify timeout (no OK event comes): looks at 120, 240, 480, 780 and 900 s.
    expect(run.states.filter((s) => s === 'Verify Recovery')).toHaveLength(5);
    expect(publishedSubjects()).toEqual([
      '[SelfHealing] NOT RECOVERED after scale out web-asg by 2 (cap 20): web-cpu-high',
    ]);
  });

  it('fails the remediation when the action never finishes within its progress timeout', async () => {
    groupLaunches(4, 0); // the new instances never come into service
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('FAILED');
    expect(run.error?.Error).toBe('ProgressTimeout');
    // Backoff within the 600 s progress timeout (no event comes): looks at 60, 120, 240, 480 and 600 s.
    expect(run.states.filter((s) => s === 'Check Progress')).toHaveLength(5);
  });

  it('retries a throttled AWS call and a throttled Lambda invocation, acting exactly once', async () => {
    const asg = groupLaunches(4, 2, (call) => (call === 1 ? awsError('Throttling', 400, 'Rate exceeded') : undefined));
    alarmRecoversAfter(1);
    let planCalls = 0;
    const throttledOnce = new LocalWorkflow({
      ...FUNCTION_HANDLERS,
      GuardFunction: async (event: never, context) => {
        if (isPlanStep(event)) planCalls += 1;
        if (planCalls === 1 && isPlanStep(event))
          throw Object.assign(new Error('Rate Exceeded.'), { name: 'Lambda.TooManyRequestsException' });
        return (FUNCTION_HANDLERS.GuardFunction as LambdaHandler)(event, context);
      },
    });
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await throttledOnce.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries).toEqual([
      { state: 'Plan Remediation', attempt: 1 },
      { state: 'Apply Auto Scaling Action', attempt: 1 },
    ]);
    // Two attempts reached AWS (one throttled), one capacity change: both ask for the same absolute 6.
    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 2);
    for (const call of aws.autoScaling.commandCalls(SetDesiredCapacityCommand)) {
      expect(call.args[0].input.DesiredCapacity).toBe(6);
    }
    expect(asg.desired()).toBe(6);
  });

  it('walks a dry-run manual execution through every step without a mutating call', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
    const request = loadEvent('manual-execution');

    const run = await workflow.run(request, { executionName: 'manual-prescale-web-asg' });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual([
      'Plan Remediation',
      'Should Act?',
      'Check Guardrails',
      'Route',
      'Prepare Auto Scaling Action',
      'Is Auto Scaling Change Needed?',
      'Apply Auto Scaling Action',
      'Await First Progress',
      'Check Progress',
      'Is Action Complete?',
      'Verify Recovery',
      'Is Recovered?',
      'Record Success',
    ]);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetInstanceHealthCommand);
    expect(run.output).toMatchObject({
      incident: { id: 'manual-prescale-web-asg', source: 'manual' },
      plan: { dryRun: true, dryRunSources: ['incident'], actionSource: 'manual' },
      applied: {
        applied: false,
        description: 'Dry run: would set web-asg desired capacity 4 → 6',
        call: {
          operation: 'AutoScaling.SetDesiredCapacity',
          input: { AutoScalingGroupName: 'web-asg', DesiredCapacity: 6 },
        },
      },
      record: { outcome: 'succeeded', dryRun: true },
    });
  });

  it('skips and pages when the group is already at its cap', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(10, 10));
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states.slice(-2)).toEqual(['Is Auto Scaling Change Needed?', 'Record Skip']);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(publishedSubjects()).toEqual(['[SelfHealing] SKIPPED (AtCapacityLimit): web-cpu-high']);
  });

  it('skips without acting when another remediation holds the target, and releases nothing it does not hold', async () => {
    aws.dynamoDb.on(GetCommand).resolves({
      Item: {
        target: 'asg:web-asg',
        lockedBy: 'alarm-other-incident',
        lockState: 'in-progress',
        lockExpiresAt: 4_102_444_800,
      },
    });
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.states).toEqual([
      'Plan Remediation',
      'Should Act?',
      'Correlate Recent Change',
      'Check Guardrails',
      'Route',
      'Record Skip',
    ]);
    expect(run.output).toMatchObject({
      guard: { decision: 'skip', reason: 'InProgress', targetKey: 'asg:web-asg' },
      record: { outcome: 'skipped', reason: 'InProgress' },
    });
    // Every exit releases what this execution may hold, and only that: each write is conditional on holding it.
    for (const call of aws.dynamoDb.commandCalls(UpdateCommand).map((c) => c.args[0].input))
      expect(call).toMatchObject({
        ConditionExpression: expect.stringMatching(/^lockedBy = :me AND lockState = :inProgress/),
        ExpressionAttributeValues: expect.objectContaining({ ':me': incident.id }),
      });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('skips with reason Paused while the kill switch is on', async () => {
    aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: 'true' } });
    const incident = incidentFrom('sns-alarm-status-check');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.output).toMatchObject({ guard: { reason: 'Paused' }, record: { outcome: 'skipped', reason: 'Paused' } });
    expect(aws.autoScaling.calls()).toHaveLength(0);
    // The target's item is read alongside the kill switch (one round trip); no lock is taken, and the
    // record releases only a lock this execution would hold.
    expect(aws.dynamoDb).not.toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: expect.stringContaining('SET lockedBy = :me'),
    });
    for (const call of aws.dynamoDb.commandCalls(UpdateCommand).map((c) => c.args[0].input))
      expect(call.ConditionExpression).toMatch(/^lockedBy = :me AND lockState = :inProgress/);
  });

  it('takes the lock before acting and turns it into the cooldown after, on success and on failure', async () => {
    let desired = 4;
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => group(desired, desired));
    aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
      desired = input.DesiredCapacity;
      return {};
    });
    alarmRecoversAfter(0);
    const incident = incidentFrom('sns-alarm-cpu-high');

    await workflow.run(ingested(incident), { executionName: incident.id });
    aws.cloudWatch.reset();
    alarmRecoversAfter(0);
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'auto-9' });
    aws.ssm
      .on(GetAutomationExecutionCommand)
      .resolves({ AutomationExecution: { AutomationExecutionStatus: 'Failed' } });
    await workflow.run(ingested(loadEvent<{ incident: unknown }>('automation-start').incident), {
      executionName: 'alarm-system-status-fails-again',
    });

    const updates = aws.dynamoDb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((u) => !/^(budget|notified|wait):/.test(String(u.Key?.target)));
    expect(updates.map((u) => [u.Key?.target, u.UpdateExpression?.split(',')[0]])).toEqual([
      ['asg:web-asg', 'SET lockedBy = :me'],
      // Right before each mutating call: the lock is proven and the exact call recorded as started.
      ['asg:web-asg', 'SET intentAt = :now'],
      ['asg:web-asg', 'SET lockState = :cooldown'],
      ['instance:i-0abc123def4567890', 'SET lockedBy = :me'],
      ['instance:i-0abc123def4567890', 'SET intentAt = :now'],
      ['instance:i-0abc123def4567890', 'SET lockState = :cooldown'],
    ]);
    expect(updates[4]?.ConditionExpression).toBe('lockedBy = :me AND lockState = :inProgress AND lockExpiresAt > :now');
    expect(updates[5]?.UpdateExpression).toContain('failures = list_append(if_not_exists(failures, :none), :failure)');
    expect(updates[2]?.ConditionExpression).toBe('lockedBy = :me AND lockState = :inProgress');
  });

  it('does not act twice when the Lambda times out after its SetDesiredCapacity went through', async () => {
    // The retry reads back the call its first attempt recorded right before making it.
    guardTableKeepsIntents();
    let desired = 4;
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => group(desired, desired));
    aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
      desired = input.DesiredCapacity;
      return {};
    });
    // The retried apply re-reads the alarm too: still firing.
    alarmRecoversAfter(1);
    let applies = 0;
    const timesOutOnce = new LocalWorkflow({
      ...FUNCTION_HANDLERS,
      AutoScalingActionFunction: async (event: { operation?: string }, context) => {
        const result = await (FUNCTION_HANDLERS.AutoScalingActionFunction as LambdaHandler)(event as never, context);
        if (event.operation === 'apply' && ++applies === 1)
          throw Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'Sandbox.Timedout' });
        return result;
      },
    });
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await timesOutOnce.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.retries).toEqual([{ state: 'Apply Auto Scaling Action', attempt: 1 }]);
    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 1);
    expect(run.output).toMatchObject({
      applied: {
        description: 'set web-asg desired capacity 4 → 6 (already applied: web-asg desired capacity is already 6)',
      },
    });
  });

  it.each(['Remediation Failed', 'Recording Failed'])(
    '"%s" fails with the caught error even when it has no Cause (CausePath must point to a value)',
    async (failState) => {
      const { States } = substitutedDefinition();
      const describeState = `Describe ${failState}`;
      const machine = new StateMachine({
        StartAt: describeState,
        // Straight on to the Fail state (on AWS, Recording Failed first holds the target and pages).
        States: { [describeState]: { ...States[describeState], Next: failState }, [failState]: States[failState] },
      } as never);

      const execution = machine.run({ error: { Error: 'NoRollbackTargetError' } });
      const failed = await execution.result.then(
        () => undefined,
        (error: unknown) => error,
      );
      const events: { type: string; Error?: string; Cause?: unknown }[] = [];
      for await (const event of execution.eventLogs) events.push(event);

      expect(failed).toBeDefined();
      expect(events.find((e) => e.type === 'ExecutionFailed')).toMatchObject({
        Error: 'NoRollbackTargetError',
        Cause: '{"Error":"NoRollbackTargetError"}',
      });
    },
  );

  describe('approval', () => {
    function rollbackMocks() {
      const good = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'web-1.4.1.zip', bundleType: 'zip' } };
      aws.codeDeploy
        .on(GetDeploymentGroupCommand)
        .resolves({ deploymentGroupInfo: { lastAttemptedDeployment: { deploymentId: 'd-BAD000002' } } });
      aws.codeDeploy.on(GetDeploymentCommand).resolves({
        deploymentInfo: {
          deploymentId: 'd-BAD000002',
          status: 'Succeeded',
          createTime: new Date('2026-11-23T10:00:00Z'),
          revision: { ...good, s3Location: { ...good.s3Location, key: 'bad.zip' } },
        },
      } as never);
      aws.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-GOOD00001'] });
      aws.codeDeploy.on(BatchGetDeploymentsCommand).resolves({
        deploymentsInfo: [
          { deploymentId: 'd-GOOD00001', createTime: new Date('2026-11-20T10:00:00Z'), revision: good },
        ],
      } as never);
    }

    it('asks a human before a rollback, with what will happen and the approve and reject commands', async () => {
      rollbackMocks();
      const asked: { token: string; payload: unknown }[] = [];
      const approving = new LocalWorkflow(FUNCTION_HANDLERS, (token, payload) => {
        asked.push({ token, payload });
        return Promise.resolve({ approved: true, by: 'jane' });
      });
      aws.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW000003' });
      aws.codeDeploy
        .on(GetDeploymentCommand, { deploymentId: 'd-NEW000003' })
        .resolves({ deploymentInfo: { deploymentId: 'd-NEW000003', status: 'Succeeded' } } as never);
      alarmRecoversAfter(0);
      const incident = incidentFrom('sns-alarm-error-rate');

      const run = await approving.run(ingested(incident), { executionName: incident.id });

      expect(run.status).toBe('SUCCEEDED');
      // The rollback is prepared first, so the approver sees exactly which revision goes back out.
      expect(run.states.slice(3, 11)).toEqual([
        'Route',
        'Prepare Rollback',
        'Rollback Needs Approval?',
        'Request Approval',
        'Approved?',
        // The yes binds to the change prepared (its key): the apply step holds the call to it.
        'Approval Granted',
        'Act On Approval',
        'Apply Rollback',
      ]);
      expect(asked).toHaveLength(1);
      const request = aws.sns.commandCalls(PublishCommand)[0]?.args[0].input;
      // On its own topic: the token in it approves the change, so only approvers may read it.
      expect(request?.TopicArn).toBe(process.env.APPROVAL_TOPIC_ARN);
      expect(request?.TopicArn).not.toBe(process.env.NOTIFICATION_TOPIC_ARN);
      expect(request?.Subject).toBe('[SelfHealing] APPROVAL NEEDED: roll back web-app/web-prod: web-5xx-high');
      expect(request?.Message).toContain(`aws stepfunctions send-task-success --task-token "${asked[0]?.token}"`);
      expect(request?.Message).toContain('aws stepfunctions send-task-failure');
      expect(request?.Message).toContain('Revision to deploy (from d-GOOD00001, replacing d-BAD000002)');
      expect(aws.codeDeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 1);
      // The approver's name, as given in the answer, is in the outcome.
      expect(run.output).toMatchObject({ record: { approvedBy: 'jane' } });
    });

    /** A rollback incident run with the on-call's answer (resolved, or rejected as send-task-failure / timeout). */
    async function rollbackAnswered(answer: () => Promise<unknown>) {
      rollbackMocks();
      const incident = incidentFrom('sns-alarm-error-rate');
      return new LocalWorkflow(FUNCTION_HANDLERS, answer).run(ingested(incident), { executionName: incident.id });
    }

    it.each([
      ['rejected', Object.assign(new Error('not during the sale'), { name: 'NotApproved' })],
      ['not answered in time', Object.assign(new Error('No answer within 3600 s'), { name: 'States.Timeout' })],
    ])(
      'records a rollback that is %s as skipped, NotApproved, changes nothing and releases the lock',
      async (_how, answer) => {
        const run = await rollbackAnswered(() => Promise.reject(answer));

        expect(run.status).toBe('SUCCEEDED');
        expect(run.states.slice(-2)).toEqual(['Not Approved', 'Record Skip']);
        expect(run.output).toMatchObject({ record: { outcome: 'skipped', reason: 'NotApproved' } });
        expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
        const updates = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
        const lockWrites = updates.filter((u) => !/^(budget|notified|wait):/.test(String(u.Key?.target)));
        expect(lockWrites.at(-1)?.UpdateExpression).toBe('REMOVE lockedBy, lockState, lockExpiresAt, claimed');
        // Nothing changed, so nothing spent the budget: it is taken right before a call, and none was made.
        expect(updates.filter((u) => String(u.Key?.target).startsWith('budget:'))).toEqual([]);
      },
    );

    it.each([
      ['an answer without "approved"', { by: 'jane' }],
      ['a non-boolean "approved"', { approved: 'yes', by: 'jane' }],
      ['an answer that is not an object', 'ok'],
    ])('takes %s as not approved (never a States.Runtime failure) and changes nothing', async (_how, answer) => {
      const run = await rollbackAnswered(() => Promise.resolve(answer));

      expect(run.status).toBe('SUCCEEDED');
      expect(run.states.slice(-3)).toEqual(['Approved?', 'Not Approved', 'Record Skip']);
      expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
    });

    it('never asks in a dry run', async () => {
      rollbackMocks();
      const incident = { ...incidentFrom('sns-alarm-error-rate'), dryRun: true };

      const run = await workflow.run(ingested(incident), { executionName: incident.id });

      expect(run.states).not.toContain('Request Approval');
      expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
    });
  });
});
