import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { handler as autoScaling } from '../../functions/auto-scaling-action/handler';
import { handler as automation } from '../../functions/run-automation/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

// Issue 26, second hostile review: the blast radius lets one instance go at a time however small
// the group (max(maxInstances, a share of the healthy)), but never the last healthy InService one
// without a human: Auto Scaling may be replacing the others for reasons of its own (their failures,
// an instance refresh) that no remediation counts as in flight.

type Task = Record<string, unknown> & {
  plan: Record<string, unknown> & {
    action: Record<string, unknown>;
    safety: { bound: { targets: string[]; attested: string[] } };
  };
};
const asg = (event: unknown) => autoScaling(event as never, lambdaContext('AutoScalingActionFunction'));
const ssm = (event: unknown) => automation(event as never, lambdaContext('AutomationFunction'));

const SURVIVOR = 'i-0000000000000000a';
beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        MinSize: 4,
        MaxSize: 8,
        DesiredCapacity: 4,
        Instances: [
          { InstanceId: SURVIVOR, LifecycleState: 'InService', HealthStatus: 'Healthy' },
          { InstanceId: 'i-0000000000000000b', LifecycleState: 'Terminating', HealthStatus: 'Unhealthy' },
          { InstanceId: 'i-0000000000000000c', LifecycleState: 'Pending', HealthStatus: 'Healthy' },
          { InstanceId: 'i-0000000000000000d', LifecycleState: 'Pending', HealthStatus: 'Healthy' },
        ],
      },
    ],
  } as never);
  aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({
    AutoScalingInstances: [
      { InstanceId: SURVIVOR, AutoScalingGroupName: 'web-asg', LifecycleState: 'InService', HealthStatus: 'HEALTHY' },
    ],
  } as never);
  aws.autoScaling.on(SetInstanceHealthCommand).resolves({});
});

describe('the blast radius and the last healthy instance', () => {
  it('asks a human before replacing the only healthy InService instance of a group', async () => {
    const task = loadEvent<Task>('auto-scaling-prepare');
    task.plan.action = { type: 'replace-instance', instanceId: SURVIVOR };
    task.plan.safety.bound.targets = task.plan.safety.bound.attested = [`instance:${SURVIVOR}`];

    const prepared = await asg(task);

    expect(prepared).toMatchObject({
      status: 'ready',
      approvalRequired: true,
      approvalReason: expect.stringContaining('no healthy InService instance'),
    });
  });

  it('asks a human before restarting (runbook) the only healthy InService instance of a group', async () => {
    const task = loadEvent<Task>('automation-prepare');
    task.plan.action = {
      type: 'run-automation',
      documentName: 'AWS-RestartEC2Instance',
      parameters: { InstanceId: [SURVIVOR] },
    };
    task.plan.safety.bound = {
      targets: [`instance:${SURVIVOR}`],
      attested: [`instance:${SURVIVOR}`],
      documents: ['AWS-RestartEC2Instance'],
      parameterValues: {},
    } as never;
    (task.plan as unknown as { approval: unknown }).approval = { required: false, timeoutSeconds: 3600 };

    const prepared = await ssm(task);

    expect(prepared).toMatchObject({
      status: 'ready',
      approvalRequired: true,
      approvalReason: expect.stringContaining('no healthy InService instance'),
    });
  });
});
