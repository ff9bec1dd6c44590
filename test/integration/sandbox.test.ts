import { describe, expect, it } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { settleApproving, useGameDaySandbox } from '../helpers/sandbox';
import { loadEvent } from '../helpers/fixtures';

// One sandbox for the file: the handler modules build their SDK clients once, against its endpoint.
// It runs at the events/ fixtures' time: an alarm stamped later than its arrival is refused.
const current = useGameDaySandbox({ start: Date.parse('2026-11-23T10:16:00.123Z') });

async function execute(name: string, input: unknown) {
  const sfn = new SFNClient({});
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN, name, input: JSON.stringify(input) }),
  );
  // A manual change other than a scale-out waits for a human: the test's on-call approves it.
  await settleApproving(current.simulation());
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

const manual = (action: object) => ({ action, reason: 'integration test', dryRun: false });
const successfulCalls = (operation: string) =>
  current().calls.filter((c) => c.operation === operation && c.outcome === 'ok');

describe('local AWS sandbox, through the real SDK over HTTP', () => {
  it('serves the Query protocol: the state machine scales web-asg and the group really grows', async () => {
    const described = await execute(
      'it-scale-out',
      manual({ type: 'scale-out', autoScalingGroupName: 'web-asg', step: 2, maxCapacity: 6 }),
    );

    expect(described.status).toBe('SUCCEEDED');
    expect(successfulCalls('AutoScaling.SetDesiredCapacity').map((c) => c.params)).toEqual([
      { AutoScalingGroupName: 'web-asg', DesiredCapacity: '6', HonorCooldown: 'false' },
    ]);
    const groups = await new AutoScalingClient({}).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }),
    );
    expect(groups.AutoScalingGroups?.[0]?.DesiredCapacity).toBe(6);
    expect(groups.AutoScalingGroups?.[0]?.Instances?.filter((i) => i.LifecycleState === 'InService')).toHaveLength(6);
  }, 30_000);

  it('replaces an instance of a group', async () => {
    const described = await execute(
      'it-replace',
      manual({ type: 'replace-instance', instanceId: 'i-0abc123def4567890' }),
    );

    expect(described.status).toBe('SUCCEEDED');
    expect(successfulCalls('AutoScaling.SetInstanceHealth').map((c) => c.params.InstanceId)).toEqual([
      'i-0abc123def4567890',
    ]);
    expect(current().fleet.instances.get('i-0abc123def4567890')?.lifecycle).toBe('Terminated');
  }, 30_000);

  it('serves JSON 1.1: rolls back web-prod to its previous good revision and waits for the deployment', async () => {
    const described = await execute(
      'it-rollback',
      manual({ type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' }),
    );

    expect(described.status).toBe('SUCCEEDED');
    const created = successfulCalls('CodeDeploy.CreateDeployment');
    expect(created).toHaveLength(1);
    expect(created[0]?.params.revision).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: 'web-app-artifacts', key: 'web-app/1.3.0.zip', bundleType: 'zip' },
    });
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({
      progress: { status: 'done', detail: expect.stringMatching(/Succeeded$/) },
    });
  }, 30_000);

  it('runs an SSM automation to its end, and a retried start reuses the execution', async () => {
    const described = await execute(
      'it-automation',
      manual({
        type: 'run-automation',
        documentName: 'AWS-RestartEC2Instance',
        parameters: { InstanceId: ['i-0badc0ffee00001'] },
      }),
    );

    expect(described.status).toBe('SUCCEEDED');
    expect(successfulCalls('SSM.StartAutomationExecution')).toHaveLength(1);
    expect([...current().fleet.automations.values()].map((a) => a.status)).toEqual(['Success']);
  }, 30_000);

  it("restarts a tagged alarm's service with the stack's own RestartService runbook, as the automation role", async () => {
    const { incidentFrom } = await import('../helpers/incidents');
    const incident = incidentFrom('sns-alarm-status-check');
    const now = new Date(current().clock.now()).toISOString();
    const serviceAlarm = {
      ...incident,
      id: 'it-restart-service',
      detectedAt: now,
      alarm: {
        ...incident.alarm!,
        stateChangeTime: now,
        metricName: 'HealthCheckFailed',
        // The policy's health-check namespace (safety.targetBindings), and a service it allow-lists.
        namespace: 'SelfHealing/Services',
        tags: { 'selfhealing:service': 'worker' },
      },
    };
    // The alarm the action re-reads: still firing (its state follows this test, not a metric).
    current().fleet.addAlarm({
      name: serviceAlarm.alarm.name,
      namespace: 'SelfHealing/Services',
      metricName: 'HealthCheckFailed',
      dimensions: { InstanceId: 'i-0abc123def4567890' },
      delivery: 'sns',
      condition: { kind: 'recorded' },
    });
    current().fleet.setAlarmState(serviceAlarm.alarm.name, 'ALARM', 'service down');

    const described = await execute('it-restart-service', serviceAlarm);

    expect(described.status).toBe('SUCCEEDED');
    expect(successfulCalls('SSM.StartAutomationExecution').at(-1)?.params).toMatchObject({
      DocumentName: 'self-healing-local-RestartService',
      Parameters: {
        InstanceId: ['i-0abc123def4567890'],
        ServiceName: ['worker'],
        AutomationAssumeRole: [expect.stringContaining('AutomationRole')],
      },
    });
  }, 30_000);

  it('publishes notifications (SNS Query protocol) and dead-letters rejected records (SQS JSON 1.0)', async () => {
    const described = await execute(
      'it-notify',
      manual({ type: 'notify', severity: 'critical', message: 'integration' }),
    );
    const { FUNCTION_HANDLERS } = await import('../../local/functions');
    const { lambdaContext } = await import('../../local/lambda-context');
    const ingest = await FUNCTION_HANDLERS.AlarmIngestFunction?.(
      loadEvent<never>('sns-alarm-malformed-batch'),
      lambdaContext('AlarmIngestFunction'),
    );

    expect(described.status).toBe('SUCCEEDED');
    expect(current().published.find((p) => p.subject?.includes('integration'))).toMatchObject({
      attributes: { severity: 'critical', outcome: 'notified' },
    });
    expect((ingest as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
      'started',
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(current().queued).toHaveLength(3);
  }, 30_000);

  it('answers a redelivered StartExecution with ExecutionAlreadyExists', async () => {
    await expect(execute('it-notify', manual({ type: 'notify' }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  it('fails loudly, AWS-style, on an operation it does not implement', async () => {
    await expect(
      new AutoScalingClient({}).send(
        new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-1', ShouldDecrementDesiredCapacity: true }),
      ),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: 'The sandbox does not implement AutoScaling.TerminateInstanceInAutoScalingGroup',
    });
    await expect(new SSMClient({}).send(new ListCommandsCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
  });
});
