import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { PublishCommand } from '@aws-sdk/client-sns';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import { FUNCTION_HANDLERS } from '../../local/functions';
import { LocalWorkflow } from '../../local/workflow';
import { aws, guardAllowsEverything, ingested, resetAwsMocks } from '../helpers/aws-mocks';
import { group } from '../helpers/workflow-mocks';

// Issue 26, third hostile review: ingest names each execution after its incident. An incident it
// recorded, started again by a person under another name (its input copied from the first run), is
// that person's execution: it waits for a human for what safety.manualApprovalRequired lists.

let approvalsAsked = 0;
const workflow = new LocalWorkflow(FUNCTION_HANDLERS, () => {
  approvalsAsked += 1;
  return Promise.resolve({ approved: false, by: 'on-call' });
});

const VICTIM = 'i-00000000000000001';

beforeEach(() => {
  resetAwsMocks();
  approvalsAsked = 0;
  aws.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  guardAllowsEverything();
  forgetKillSwitch();
  aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({
    AutoScalingInstances: [
      { InstanceId: VICTIM, AutoScalingGroupName: 'web-asg', LifecycleState: 'InService', HealthStatus: 'HEALTHY' },
    ],
  } as never);
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
  aws.autoScaling.on(SetInstanceHealthCommand).resolves({});
});

const now = '2026-11-23T10:15:30Z';
/** An EC2 "stopped" incident ingest really started earlier (recorded under ingested:<id>). */
const recorded = {
  id: 'ec2-i-00000000000000001-stopped-0001',
  source: 'ec2',
  summary: 'EC2 instance stopped',
  account: '123456789012',
  region: 'us-east-1',
  receivedAt: now,
  detectedAt: now,
  dryRun: false,
  event: {
    id: 'evt-1',
    source: 'aws.ec2',
    detailType: 'EC2 Instance State-change Notification',
    state: 'stopped',
    resources: [],
  },
  target: { instanceId: VICTIM },
};

describe('an operator who starts an incident ingest already started, under another execution name', () => {
  it('is asked to wait for a human (the execution is a person’s, not ingest’s)', async () => {
    await workflow.run(ingested(recorded), { executionName: 'rerun-by-mallory' });

    const marked = aws.autoScaling.commandCalls(SetInstanceHealthCommand).length;
    expect({ marked, humanAsked: approvalsAsked > 0 }).toEqual({ marked: 0, humanAsked: true });
  });
});
