import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  ListTagsForResourceCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { PublishCommand } from '@aws-sdk/client-sns';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import { normaliseSnsRecord } from '../../functions/domain/inbound/normalise';
import type { Incident } from '../../functions/domain/incident';
import { FUNCTION_HANDLERS } from '../../local/functions';
import { LocalWorkflow } from '../../local/workflow';
import { aws, guardAllowsEverything, ingested, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { group } from '../helpers/workflow-mocks';

// Issue 26, second hostile review: a rollback chosen by change correlation (high-cpu-scale-out's
// preferRollbackAfterChange). The kernel's rules it exercises (domain/safety-kernel.ts): a
// deployment group only the alarm's tags name needs a human, unless CodeDeploy's own configuration
// of that group ties it to the alarm's Auto Scaling group or the alarm; a rollback never undoes a
// deployment created after the incident was detected, nor one that is itself a rollback.

let approvalsAsked = 0;
const asking = (approved: boolean) =>
  new LocalWorkflow(FUNCTION_HANDLERS, () => {
    approvalsAsked += 1;
    return Promise.resolve({ approved, by: 'on-call' });
  });
/** The approver says no: any change that still goes out went out without a human. */
const workflow = asking(false);
/** The approver says yes: what does not go out, the kernel held back. */
const approving = asking(true);

const ALARM_AT = '2026-11-23T10:15:30.123Z';
const ctx = { receivedAt: '2026-11-23T10:15:32.000Z', dryRun: false };

/** The fixture CPU alarm on web-asg, with the alarm tags given. */
function cpuAlarm(tags: Record<string, string>): Incident {
  const event = loadEvent<{ Records: { Sns: { Message: string } }[] }>('sns-alarm-cpu-high');
  const record = event.Records[0] as { Sns: { Message: string } };
  record.Sns.Message = JSON.stringify({ ...JSON.parse(record.Sns.Message), AlarmTags: tags });
  const n = normaliseSnsRecord(record, 0, ctx);
  if (n.status !== 'incident' || !n.incident) throw new Error('not an incident');
  return n.incident;
}

const rev = (v: string) => ({
  revisionType: 'S3',
  s3Location: { bucket: 'artifacts', key: `${v}.zip`, bundleType: 'zip' },
});
type Dep = {
  deploymentId: string;
  status: string;
  createTime: Date;
  completeTime?: Date;
  revision: object;
  creator: string;
  applicationName: string;
  deploymentGroupName: string;
};

/** CodeDeploy with these deployments of application/group, newest first; ListDeployments honours statuses and createTimeRange. */
function codeDeployHas(
  application: string,
  deploymentGroup: string,
  deployments: Dep[],
  configured: { autoScalingGroups?: string[]; alarms?: string[] } = {},
) {
  const full = deployments.map((d) => ({ ...d, applicationName: application, deploymentGroupName: deploymentGroup }));
  const byId = new Map(full.map((d) => [d.deploymentId, d]));
  aws.codeDeploy.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      autoScalingGroups: (configured.autoScalingGroups ?? []).map((name) => ({ name })),
      alarmConfiguration: { enabled: true, alarms: (configured.alarms ?? []).map((name) => ({ name })) },
      lastAttemptedDeployment: { deploymentId: full[0]?.deploymentId, status: full[0]?.status },
      lastSuccessfulDeployment: { deploymentId: full.find((d) => d.status === 'Succeeded')?.deploymentId },
    },
  } as never);
  aws.codeDeploy
    .on(GetDeploymentCommand)
    .callsFake((input: { deploymentId: string }) => ({ deploymentInfo: byId.get(input.deploymentId) }));
  aws.codeDeploy
    .on(ListDeploymentsCommand)
    .callsFake((input: { includeOnlyStatuses?: string[]; createTimeRange?: { start?: Date; end?: Date } }) => ({
      deployments: full
        .filter((d) => !input.includeOnlyStatuses || input.includeOnlyStatuses.includes(d.status))
        .filter((d) => !input.createTimeRange?.end || d.createTime <= input.createTimeRange.end)
        .filter((d) => !input.createTimeRange?.start || d.createTime >= input.createTimeRange.start)
        .map((d) => d.deploymentId),
    }));
  aws.codeDeploy.on(BatchGetDeploymentsCommand).callsFake((input: { deploymentIds: string[] }) => ({
    deploymentsInfo: input.deploymentIds.map((id) => byId.get(id)).filter(Boolean),
  }));
  aws.codeDeploy.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'selfhealing:managed', Value: 'true' }] });
  aws.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-ROLLBACK01' });
  aws.codeDeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
}

const base = { creator: 'user', applicationName: '', deploymentGroupName: '' };
/** A release that finished five minutes after it started. */
const released = (deploymentId: string, started: string, version: string): Dep => ({
  ...base,
  deploymentId,
  status: 'Succeeded',
  createTime: new Date(started),
  completeTime: new Date(Date.parse(started) + 300_000),
  revision: rev(version),
});
/** The bad release (1.5.0) correlation finds, 10 minutes before the alarm, and the good one before it. */
const BAD_RELEASE = released('d-BAD000002', '2026-11-23T10:00:00Z', 'web-1.5.0');
const GOOD_RELEASE = released('d-GOOD00001', '2026-11-20T10:00:00Z', 'web-1.4.1');
const WEB_PROD_TAGS = {
  'selfhealing:codedeploy-application': 'web-app',
  'selfhealing:codedeploy-deployment-group': 'web-prod',
};

beforeEach(() => {
  resetAwsMocks();
  approvalsAsked = 0;
  aws.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  guardAllowsEverything();
  forgetKillSwitch();
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
  aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});
});

describe('a rollback chosen by change correlation', () => {
  it("asks a human before rolling back a deployment group only a CPU alarm's tags name (another team's)", async () => {
    // payments/payments-prod deployed 10 minutes before web-asg's CPU alarm; the alarm's tags name it.
    codeDeployHas('payments', 'payments-prod', [
      {
        ...base,
        deploymentId: 'd-PAY000002',
        status: 'Succeeded',
        createTime: new Date('2026-11-23T10:00:00Z'),
        completeTime: new Date('2026-11-23T10:05:00Z'),
        revision: rev('payments-2.0'),
      },
      {
        ...base,
        deploymentId: 'd-PAY000001',
        status: 'Succeeded',
        createTime: new Date('2026-11-20T10:00:00Z'),
        completeTime: new Date('2026-11-20T10:05:00Z'),
        revision: rev('payments-1.9'),
      },
    ]);
    const incident = cpuAlarm({
      'selfhealing:codedeploy-application': 'payments',
      'selfhealing:codedeploy-deployment-group': 'payments-prod',
    });

    const run = await workflow.run(ingested(incident), { executionName: incident.id });

    expect(run.states).toContain('Correlate Recent Change');
    const created = aws.codeDeploy.commandCalls(CreateDeploymentCommand).length;
    expect({ created, humanAsked: approvalsAsked > 0 }).toEqual({ created: 0, humanAsked: true });
  });

  it("rolls back without a human when the deployment group's own CodeDeploy configuration deploys to the alarm's group", async () => {
    codeDeployHas('web-app', 'web-prod', [BAD_RELEASE, GOOD_RELEASE], { autoScalingGroups: ['web-asg'] });
    const incident = cpuAlarm(WEB_PROD_TAGS);

    await workflow.run(ingested(incident), { executionName: incident.id });

    expect(approvalsAsked).toBe(0);
    expect(aws.codeDeploy).toHaveReceivedCommandWith(CreateDeploymentCommand, {
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      revision: rev('web-1.4.1'),
    });
  });

  it("never stops a person's fix that started after the alarm (CodeDeploy would revert to the bad release)", async () => {
    codeDeployHas('web-app', 'web-prod', [
      // The on-call's fix (1.6.0), started 10 s after the alarm fired: it cannot be the alarm's cause.
      {
        ...base,
        deploymentId: 'd-FIX000003',
        status: 'InProgress',
        createTime: new Date('2026-11-23T10:15:40Z'),
        revision: rev('web-1.6.0'),
      },
      BAD_RELEASE,
      GOOD_RELEASE,
    ]);
    const incident = cpuAlarm(WEB_PROD_TAGS);
    expect(incident.detectedAt).toBe(ALARM_AT);

    // Even with a human saying yes to the rollback the kernel prepares.
    const run = await approving.run(ingested(incident), { executionName: incident.id });

    expect(run.output ?? run.error).toBeDefined();
    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it("never stops CodeDeploy's own alarm-triggered rollback (to the good 1.4.1), which would bring the bad 1.5.0 back", async () => {
    codeDeployHas('web-app', 'web-prod', [
      // The deployment group's alarm-based automatic rollback, started by CodeDeploy as the alarm fired.
      {
        ...base,
        creator: 'codeDeployRollback',
        deploymentId: 'd-CDRB00003',
        status: 'InProgress',
        createTime: new Date('2026-11-23T10:15:31Z'),
        revision: rev('web-1.4.1'),
      },
      BAD_RELEASE,
      GOOD_RELEASE,
    ]);
    const incident = cpuAlarm(WEB_PROD_TAGS);

    await approving.run(ingested(incident), { executionName: incident.id });

    // Never stopped (stopping it would roll it back to the bad release), nor redeployed over.
    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });
});
