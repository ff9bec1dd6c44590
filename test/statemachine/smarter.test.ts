import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
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
import { GetAutomationExecutionCommand, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import type { Incident } from '../../functions/domain/incident';
import { FUNCTION_HANDLERS } from '../../local/functions';
import { LocalWorkflow } from '../../local/workflow';
import { aws, awsError, guardAllowsEverything, ingested, resetAwsMocks } from '../helpers/aws-mocks';
import { incidentFrom } from '../helpers/incidents';
import { alarmIs, alarmRecoversAfter, group, groupLaunches, publishedSubjects } from '../helpers/workflow-mocks';

// Issue 7 through the real remediation.asl.json: escalation ladder, stale-incident check,
// change-aware choice, fleet budget and approval thresholds.

const asked: unknown[] = [];
const workflow = new LocalWorkflow(FUNCTION_HANDLERS, (_token, payload) => {
  asked.push(payload);
  return Promise.resolve({ approved: true, by: 'test' });
});
const INSTANCE = 'i-0abc123def4567890';

beforeEach(() => {
  resetAwsMocks();
  aws.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  guardAllowsEverything();
  forgetKillSwitch();
  asked.length = 0;
});

/** A service health alarm on an instance, tagged for the default policy's restart → replace → page ladder. */
function serviceIncident(): Incident {
  const incident = incidentFrom('sns-alarm-status-check');
  const alarm = incident.alarm as NonNullable<Incident['alarm']>;
  return {
    ...incident,
    id: 'alarm-worker-service',
    alarm: {
      ...alarm,
      name: 'worker-service-health',
      metricName: 'HealthCheckFailed',
      // The policy's bound health-check namespace (safety.targetBindings): its InstanceId names the instance.
      namespace: 'SelfHealing/Services',
      tags: { 'selfhealing:service': 'worker' },
    },
  };
}

describe('escalation ladder', () => {
  it('climbs from the service restart to replacing the instance when the alarm stays in ALARM, recording each step', async () => {
    let replaced = false;
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'auto-1' });
    aws.ssm
      .on(GetAutomationExecutionCommand)
      .resolves({ AutomationExecution: { AutomationExecutionStatus: 'Success' } });
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).callsFake(() => ({
      AutoScalingInstances: [
        {
          InstanceId: INSTANCE,
          AutoScalingGroupName: 'web-asg',
          LifecycleState: 'InService',
          HealthStatus: replaced ? 'UNHEALTHY' : 'HEALTHY',
        },
      ],
    }));
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
    aws.autoScaling.on(SetInstanceHealthCommand).callsFake(() => {
      replaced = true;
      return {};
    });
    // The restart does not help; the replacement does.
    aws.cloudWatch.on(DescribeAlarmsCommand).callsFake(() => alarmIs(replaced ? 'OK' : 'ALARM'));

    const incident = ingested(serviceIncident());
    const run = await workflow.run(incident, { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(aws.ssm).toHaveReceivedCommandTimes(StartAutomationExecutionCommand, 1);
    expect(aws.ssm).toHaveReceivedCommandWith(StartAutomationExecutionCommand, {
      DocumentName: 'self-healing-RestartService',
      Parameters: expect.objectContaining({ ServiceName: ['worker'] }),
    });
    expect(aws.autoScaling).toHaveReceivedCommandTimes(SetInstanceHealthCommand, 1);
    expect(run.states.filter((s) => s === 'Escalate To Next Step')).toHaveLength(1);
    expect(run.states.filter((s) => s === 'Check Guardrails')).toHaveLength(2);
    expect(run.output).toMatchObject({
      plan: { escalation: { step: 2, of: 3, hasNext: true } },
      record: {
        outcome: 'succeeded',
        steps: [
          { step: 1, actionType: 'run-automation', result: 'not-recovered' },
          {
            step: 2,
            actionType: 'replace-instance',
            result: 'recovered',
            timeToOkSeconds: expect.any(Number) as never,
          },
        ],
      },
    });
    // Each rung took the lock of its own target and let it go before the next.
    const locks = aws.dynamoDb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((u) => !/^(budget|notified|wait|disruption):/.test(String(u.Key?.target)));
    expect(locks.map((u) => [u.Key?.target, u.UpdateExpression?.split(',')[0]])).toEqual([
      ['instance:i-0abc123def4567890', 'SET lockedBy = :me'],
      ['instance:i-0abc123def4567890', 'SET intentAt = :now'],
      ['instance:i-0abc123def4567890', 'SET lockState = :cooldown'],
      ['instance:i-0abc123def4567890', 'SET lockedBy = :me'],
      ['instance:i-0abc123def4567890', 'SET intentAt = :now'],
      ['instance:i-0abc123def4567890', 'SET lockState = :cooldown'],
    ]);
    // Each rung's lock is held by the execution (its name), not by the incident id.
    expect(new Set(locks.map((u) => u.ExpressionAttributeValues?.[':me']))).toEqual(new Set(['alarm-worker-service']));
  });

  it('ends on the human when no step brings the alarm back, with every step in the page', async () => {
    aws.ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: 'auto-1' });
    aws.ssm
      .on(GetAutomationExecutionCommand)
      .resolves({ AutomationExecution: { AutomationExecutionStatus: 'Success' } });
    // Not in a group: the replacement has nothing to change, so the ladder climbs straight on.
    aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    aws.cloudWatch.on(DescribeAlarmsCommand).resolves(alarmIs('ALARM'));

    const incident = ingested(serviceIncident());
    const run = await workflow.run(incident, { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states.at(-1)).toBe('Notify Operator');
    expect(run.states.filter((s) => s === 'Escalate To Next Step')).toHaveLength(2);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetInstanceHealthCommand);
    expect(publishedSubjects()).toEqual(['[SelfHealing] ESCALATED to a human after 2 steps: worker-service-health']);
    const page = aws.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    expect(page).toContain('1. "run self-healing-RestartService": not-recovered');
    expect(page).toContain('2. "replace instance i-0abc123def4567890": skipped (NotInAutoScalingGroup)');
  });
});

describe('stale-incident check', () => {
  it('skips with AlreadyRecovered when the alarm is OK by the time of the mutating call, and releases the lock', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
    // Still firing when the change is prepared; OK by the time of the call.
    aws.cloudWatch.on(DescribeAlarmsCommand).resolvesOnce(alarmIs('ALARM')).resolves(alarmIs('OK'));
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states.slice(-2)).toEqual(['Apply Auto Scaling Action', 'Record Skip']);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(run.output).toMatchObject({ record: { outcome: 'skipped', reason: 'AlreadyRecovered' } });
    const locks = aws.dynamoDb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((u) => u.Key?.target === 'asg:web-asg');
    expect(locks.map((u) => u.UpdateExpression?.split(',')[0])).toEqual(['SET lockedBy = :me', 'REMOVE lockedBy']);
    expect(publishedSubjects()).toEqual([]);
  });

  it('does not act on an incident older than its maximum age (Stale), and says so', async () => {
    const incident = incidentFrom('sns-alarm-cpu-high');
    const old = { ...incident, id: 'alarm-old', detectedAt: '2026-11-23T07:00:00.000Z' };

    const run = await workflow.run(ingested(old), { executionName: old.id });

    expect(run.states).toEqual(['Plan Remediation', 'Should Act?', 'Record Skip']);
    expect(run.output).toMatchObject({ plan: { decision: 'skip', reason: 'Stale' }, record: { reason: 'Stale' } });
    expect(publishedSubjects()).toEqual(['[SelfHealing] SKIPPED (Stale): web-cpu-high']);
  });
});

describe('change-aware choice', () => {
  const good = {
    revisionType: 'S3',
    s3Location: { bucket: 'artifacts', key: 'checkout-3.2.0.zip', bundleType: 'zip' },
  };
  const bad = { ...good, s3Location: { ...good.s3Location, key: 'checkout-3.3.0.zip' } };
  const deployments: Record<string, object> = {
    'd-NEW000002': {
      deploymentId: 'd-NEW000002',
      status: 'Succeeded',
      creator: 'user',
      createTime: new Date('2026-11-23T10:09:00Z'),
      completeTime: new Date('2026-11-23T10:11:30Z'),
      revision: bad,
    },
    'd-GOOD00001': {
      deploymentId: 'd-GOOD00001',
      status: 'Succeeded',
      creator: 'user',
      createTime: new Date('2026-11-21T10:00:00Z'),
      completeTime: new Date('2026-11-21T10:02:00Z'),
      revision: good,
    },
    'd-ROLLBACK3': { deploymentId: 'd-ROLLBACK3', status: 'Succeeded' },
  };
  const taggedIncident = (): Incident => {
    const incident = incidentFrom('sns-alarm-cpu-high');
    const alarm = incident.alarm as NonNullable<Incident['alarm']>;
    return {
      ...incident,
      alarm: {
        ...alarm,
        tags: {
          'selfhealing:codedeploy-application': 'checkout-app',
          'selfhealing:codedeploy-deployment-group': 'checkout-prod',
        },
      },
      target: { ...incident.target, codedeploy: { application: 'checkout-app', deploymentGroup: 'checkout-prod' } },
    };
  };

  it('rolls back the deployment that finished 4 minutes before the CPU alarm instead of scaling out, and says which', async () => {
    aws.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-NEW000002', 'd-GOOD00001'] });
    aws.codeDeploy.on(BatchGetDeploymentsCommand).callsFake((input: { deploymentIds: string[] }) => ({
      deploymentsInfo: input.deploymentIds.map((id) => deployments[id]),
    }));
    aws.codeDeploy
      .on(GetDeploymentGroupCommand)
      .resolves({ deploymentGroupInfo: { lastAttemptedDeployment: { deploymentId: 'd-NEW000002' } } });
    aws.codeDeploy
      .on(GetDeploymentCommand)
      .callsFake((input: { deploymentId: string }) => ({ deploymentInfo: deployments[input.deploymentId] }));
    aws.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ROLLBACK3' });
    alarmRecoversAfter(0);
    const incident = taggedIncident();

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states.slice(0, 5)).toEqual([
      'Plan Remediation',
      'Should Act?',
      'Correlate Recent Change',
      'Check Guardrails',
      'Route',
    ]);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(aws.codeDeploy).toHaveReceivedCommandWith(CreateDeploymentCommand, {
      applicationName: 'checkout-app',
      deploymentGroupName: 'checkout-prod',
      revision: good,
    });
    expect(run.output).toMatchObject({
      plan: {
        rule: 'high-cpu-scale-out',
        actionSource: 'change-correlation',
        action: { type: 'rollback-deployment', application: 'checkout-app', deploymentGroup: 'checkout-prod' },
        correlatedChange: { kind: 'deployment', id: 'd-NEW000002', minutesBeforeAlarm: 4 },
      },
      record: { outcome: 'succeeded' },
    });
    const why = (run.output as { plan: { explanation: string[] } }).plan.explanation.join(' ');
    expect(why).toContain(
      'deployment d-NEW000002 of checkout-app/checkout-prod finished 4 min before the alarm; rolling it back instead of scale out web-asg by 2',
    );
  });

  it('keeps scaling out when nothing changed in the window', async () => {
    aws.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-GOOD00001'] });
    aws.codeDeploy.on(BatchGetDeploymentsCommand).resolves({ deploymentsInfo: [deployments['d-GOOD00001']] } as never);
    aws.autoScaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
    groupLaunches(4, Infinity);
    alarmRecoversAfter(0);
    const incident = taggedIncident();

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-asg',
      DesiredCapacity: 6,
    });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
    expect(run.output).toMatchObject({ plan: { actionSource: 'rule', action: { type: 'scale-out' } } });
  });
});

describe('fleet-wide budget and approval thresholds', () => {
  it('goes notify-only with BudgetExhausted when the hour’s budget is used up, pages loudly and frees the target', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
    aws.dynamoDb.on(UpdateCommand).callsFake((input: { Key: { target: string } }) => {
      if (input.Key.target.startsWith('budget:')) throw awsError('ConditionalCheckFailedException');
      return { Attributes: {} };
    });
    aws.dynamoDb
      .on(GetCommand)
      .callsFake((input: { Key: { target: string } }) =>
        input.Key.target.startsWith('budget:')
          ? { Item: { consumers: new Set(Array.from({ length: 20 }, (_, i) => `incident-${i}#1`)) } }
          : {},
      );
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
      guard: {
        decision: 'skip',
        reason: 'BudgetExhausted',
        budget: { used: 20, limit: 20, scope: 'scale-out actions' },
      },
      record: { outcome: 'skipped', reason: 'BudgetExhausted' },
    });
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(publishedSubjects()).toEqual([
      '[SelfHealing] BUDGET EXHAUSTED, notify-only: scale out web-asg by 2 (cap 20): web-cpu-high',
    ]);
    const locks = aws.dynamoDb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((u) => u.Key?.target === 'asg:web-asg');
    // The guard gave back the lock it took; the record then releases whatever this execution may still
    // hold (conditional on holding it: here a no-op).
    expect(locks.map((u) => u.UpdateExpression?.split(',')[0])).toEqual([
      'SET lockedBy = :me',
      'REMOVE lockedBy',
      'REMOVE lockedBy',
    ]);
    expect(
      locks.slice(1).every((u) => u.ConditionExpression?.startsWith('lockedBy = :me AND lockState = :inProgress')),
    ).toBe(true);
  });

  it('asks a human only when the computed scale-out is over the +50 % threshold, showing the exact change', async () => {
    groupLaunches(2, Infinity);
    alarmRecoversAfter(0);
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states.slice(5, 12)).toEqual([
      'Prepare Auto Scaling Action',
      'Is Auto Scaling Change Needed?',
      'Request Approval',
      'Approved?',
      'Approval Granted',
      'Act On Approval',
      'Apply Auto Scaling Action',
    ]);
    const request = aws.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    expect(request).toContain('Exactly: "set web-asg desired capacity 2 → 4"');
    expect(request).toContain('capacity 2 → 4 (+100 %) is over the +50 % approval threshold');
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 4 });
  });

  it('does not ask for a +50 % scale-out (within the threshold)', async () => {
    groupLaunches(4, Infinity);
    alarmRecoversAfter(0);
    const incident = incidentFrom('sns-alarm-cpu-high');

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.states).not.toContain('Request Approval');
    expect(asked).toEqual([]);
  });
});
