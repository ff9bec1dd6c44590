import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAutomationExecutionsCommand, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { clientTokenFor, handler } from '../../functions/run-automation/handler';
import { lambdaContext } from '../../local/lambda-context';
import { alarmAnsweredAlongside, readyToAct, aws, awsError, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) =>
  handler(event as never, lambdaContext('AutomationFunction')) as Promise<Record<string, unknown>>;

const INSTANCE = 'i-0abc123def4567890';

/** Where the runbook's instance is: in web-asg, four healthy instances in all. */
function inWebAsg(): void {
  const member = {
    InstanceId: INSTANCE,
    AutoScalingGroupName: 'web-asg',
    LifecycleState: 'InService',
    HealthStatus: 'HEALTHY',
  };
  aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [member] } as never);
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        MinSize: 2,
        MaxSize: 10,
        DesiredCapacity: 4,
        Instances: ['i-1', 'i-2', 'i-3', INSTANCE].map((id) => ({ ...member, InstanceId: id })),
      },
    ],
  } as never);
}

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  inWebAsg();
  aws.ssm.on(DescribeAutomationExecutionsCommand).resolves({ AutomationExecutionMetadataList: [] });
});

describe('AutomationFunction', () => {
  it('starts the runbook with templated parameters, the automation role and a token derived from the incident', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'exec-1' });
    const task = loadEvent<{ incident: { id: string } }>('automation-start');

    const applied = await invoke(task);
    await invoke(task);

    const calls = aws.ssm.commandCalls(StartAutomationExecutionCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      DocumentName: 'AWS-RestartEC2Instance',
      Parameters: { InstanceId: ['i-0abc123def4567890'], AutomationAssumeRole: [process.env.AUTOMATION_ROLE_ARN] },
      ClientToken: clientTokenFor(task.incident.id, 'AWS-RestartEC2Instance'),
      Tags: [{ Key: 'selfhealing:incident', Value: task.incident.id }],
    });
    expect(calls[1]?.ClientToken).toBe(calls[0]?.ClientToken);
    expect(applied).toMatchObject({ applied: true, watch: { kind: 'automation', executionId: 'exec-1' } });
  });

  it('re-reads the alarm and counts running automations together, one round trip before the start', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'exec-1' });
    alarmAnsweredAlongside(() => aws.ssm.commandCalls(DescribeAutomationExecutionsCommand).length > 0);

    await expect(invoke(loadEvent('automation-start'))).resolves.toMatchObject({ applied: true });
  });

  it('skips as AlreadyRecovered when the alarm is OK again, and starts nothing', async () => {
    alarmAnsweredAlongside(() => aws.ssm.commandCalls(DescribeAutomationExecutionsCommand).length > 0, 'OK');

    await expect(invoke(loadEvent('automation-start'))).rejects.toMatchObject({ name: 'AlreadyRecovered' });
    expect(aws.ssm).not.toHaveReceivedCommand(StartAutomationExecutionCommand);
  });

  it('derives distinct UUID-shaped tokens per incident', () => {
    const a = clientTokenFor('alarm-a-1', 'AWS-RestartEC2Instance');

    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientTokenFor('alarm-a-2', 'AWS-RestartEC2Instance')).not.toBe(a);
  });

  it('makes no call in a dry run', async () => {
    const task = loadEvent<{ plan: { dryRun: boolean } }>('automation-start');
    task.plan.dryRun = true;

    expect(await invoke(task)).toMatchObject({
      applied: false,
      dryRun: true,
      call: { operation: 'SSM.StartAutomationExecution' },
    });
    expect(aws.ssm).not.toHaveReceivedCommand(StartAutomationExecutionCommand);
  });

  it('fails with TargetNotFoundError for a document that does not exist', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).rejects(awsError('AutomationDefinitionNotFoundException'));

    await expect(invoke(loadEvent('automation-start'))).rejects.toMatchObject({ name: 'TargetNotFoundError' });
  });

  it('keeps the platform under its ceiling of concurrent automations: at the ceiling it waits (retryable error) and starts nothing', async () => {
    aws.ssm.on(DescribeAutomationExecutionsCommand).resolves({
      AutomationExecutionMetadataList: [
        { AutomationExecutionId: 'a' },
        { AutomationExecutionId: 'b' },
        { AutomationExecutionId: 'c' },
      ],
    });

    await expect(invoke(loadEvent('automation-start'))).rejects.toMatchObject({
      name: 'AutomationConcurrencyLimit',
      message: expect.stringContaining('ceiling 3'),
    });
    expect(aws.ssm).toHaveReceivedCommandWith(DescribeAutomationExecutionsCommand, {
      Filters: [
        { Key: 'ExecutionStatus', Values: ['Pending', 'InProgress', 'Waiting'] },
        { Key: 'TagKey', Values: ['selfhealing:incident'] },
      ],
    });
    expect(aws.ssm).not.toHaveReceivedCommand(StartAutomationExecutionCommand);
  });

  it('counts running automations across pages (SSM returns at most 50 a page), so a ceiling above one page holds', async () => {
    aws.ssm
      .on(DescribeAutomationExecutionsCommand)
      .resolvesOnce({
        AutomationExecutionMetadataList: [{ AutomationExecutionId: 'a' }, { AutomationExecutionId: 'b' }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ AutomationExecutionMetadataList: [{ AutomationExecutionId: 'c' }] });

    await expect(invoke(loadEvent('automation-start'))).rejects.toMatchObject({
      name: 'AutomationConcurrencyLimit',
      message: expect.stringContaining('3 platform automations'),
    });
    expect(aws.ssm).toHaveReceivedCommandWith(DescribeAutomationExecutionsCommand, { NextToken: 'page-2' });
    expect(aws.ssm).not.toHaveReceivedCommand(StartAutomationExecutionCommand);
  });
});
