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

// Issue 26, second hostile review: an operator with states:StartExecution (the documented way to
// start a manual execution) can also pass an incident's shape as the input, with none of ingest's
// checks. Ingest records what it starts (domain/provenance.ts); anything else is an operator's
// execution, and the kernel has a human approve what safety.manualApprovalRequired lists.

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
  // The victim is running, InService and Healthy in web-asg (4 of 4 healthy).
  aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({
    AutoScalingInstances: [
      { InstanceId: VICTIM, AutoScalingGroupName: 'web-asg', LifecycleState: 'InService', HealthStatus: 'HEALTHY' },
    ],
  } as never);
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
  aws.autoScaling.on(SetInstanceHealthCommand).resolves({});
});

/** An EC2 "stopped" incident, as ingest would make it, for an instance that runs, InService and Healthy. */
const now = '2026-11-23T10:15:30Z';
const forged = {
  id: 'ec2-forged-0001',
  source: 'ec2',
  summary: 'EC2 instance stopped',
  account: '123456789012',
  region: 'us-east-1',
  receivedAt: now,
  detectedAt: now,
  dryRun: false,
  event: {
    id: 'forged',
    source: 'aws.ec2',
    detailType: 'EC2 Instance State-change Notification',
    state: 'stopped',
    resources: [],
  },
  target: { instanceId: VICTIM },
};

describe('an operator with StartExecution', () => {
  it('is asked to wait for a human when the replacement is requested as a manual execution (control)', async () => {
    await workflow.run(
      { action: { type: 'replace-instance', instanceId: VICTIM }, reason: 'just because', requestedBy: 'mallory' },
      { executionName: 'manual-replace-1' },
    );
    expect(approvalsAsked).toBe(1);
    expect(aws.autoScaling).not.toHaveReceivedCommand(SetInstanceHealthCommand);
  });

  it('is asked to wait for a human when it passes an incident-shaped input instead', async () => {
    await workflow.run(forged, { executionName: 'manual-replace-2' });

    const marked = aws.autoScaling.commandCalls(SetInstanceHealthCommand).length;
    expect({ marked, humanAsked: approvalsAsked > 0 }).toEqual({ marked: 0, humanAsked: true });
  });

  it('replaces the instance without asking when ingest started the same incident (control)', async () => {
    await workflow.run(ingested(forged), { executionName: forged.id });

    expect(approvalsAsked).toBe(0);
    expect(aws.autoScaling).toHaveReceivedCommandWith(SetInstanceHealthCommand, { InstanceId: VICTIM });
  });
});

// Third hostile review: ingest names each execution after its incident. An incident it recorded,
// started again by a person under another name (its input copied from the first run), is that
// person's execution.
describe('an operator who starts an incident ingest already started, under another execution name', () => {
  it('is asked to wait for a human (the execution is a person’s, not ingest’s)', async () => {
    await workflow.run(ingested(forged), { executionName: 'rerun-by-mallory' });

    const marked = aws.autoScaling.commandCalls(SetInstanceHealthCommand).length;
    expect({ marked, humanAsked: approvalsAsked > 0 }).toEqual({ marked: 0, humanAsked: true });
  });
});
