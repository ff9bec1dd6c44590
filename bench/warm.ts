// Warm latency of every handler with the SDK mocked (aws-sdk-client-mock): each handler runs its
// fixture from events/ through its middy pipeline; AWS answers instantly with canned happy-path
// responses. Run as a child of bench/run.ts with stdout discarded (the handlers' EMF lines go
// there, as on Lambda); the figures go to the file named by argv[2].
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DescribeAutomationExecutionsCommand,
  GetAutomationExecutionCommand,
  GetParameterCommand,
  SSMClient,
  StartAutomationExecutionCommand,
} from '@aws-sdk/client-ssm';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, functionEnvironment, functionsOf, loadTemplate } from '../local/template';
import { percentile } from './stats';

const CALLS = Number(process.argv[3] ?? 1000);
const WARMUP = 50;
const now = new Date();
const group = {
  AutoScalingGroupName: 'web-asg',
  MinSize: 2,
  MaxSize: 20,
  DesiredCapacity: 4,
  DefaultCooldown: 300,
  HealthCheckType: 'ELB',
  CreatedTime: now,
  AvailabilityZones: ['us-east-1a'],
  LaunchTemplate: { LaunchTemplateName: 'web', Version: '3' },
  Instances: [1, 2, 3, 4].map((n) => ({
    InstanceId: `i-0abc123def456789${n}`,
    LifecycleState: 'InService' as const,
    HealthStatus: 'Healthy',
    AvailabilityZone: 'us-east-1a',
    ProtectedFromScaleIn: false,
  })),
  Tags: [
    {
      Key: 'selfhealing:managed',
      Value: 'true',
      ResourceId: 'web-asg',
      ResourceType: 'auto-scaling-group',
      PropagateAtLaunch: false,
    },
  ],
};
const deployment = (id: string, key: string, status: 'Succeeded' | 'InProgress', minutesAgo = 0) => ({
  deploymentId: id,
  applicationName: 'web-app',
  deploymentGroupName: 'web-prod',
  status,
  createTime: new Date(now.getTime() - minutesAgo * 60_000),
  completeTime: now,
  creator: 'user' as const,
  revision: {
    revisionType: 'S3' as const,
    s3Location: { bucket: 'web-app-artifacts', key, bundleType: 'zip' as const },
  },
});

/** Happy-path answers for every operation a handler calls. */
function mockAws(): void {
  mockClient(SFNClient)
    .on(StartExecutionCommand)
    .resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:x', startDate: now });
  mockClient(SQSClient).on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  mockClient(SNSClient).on(PublishCommand).resolves({ MessageId: 'n-1' });
  const ddb = mockClient(DynamoDBDocumentClient);
  ddb
    .on(GetCommand)
    .resolves({})
    .on(UpdateCommand)
    .resolves({ Attributes: {} })
    .on(PutCommand)
    .resolves({})
    .on(DeleteCommand)
    .resolves({});
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: 'false' } });
  ssm.on(DescribeAutomationExecutionsCommand).resolves({ AutomationExecutionMetadataList: [] });
  ssm.on(StartAutomationExecutionCommand).resolves({ AutomationExecutionId: '11111111-2222-4333-8444-555555555555' });
  ssm.on(GetAutomationExecutionCommand).resolves({
    AutomationExecution: {
      AutomationExecutionId: '11111111-2222-4333-8444-555555555555',
      AutomationExecutionStatus: 'Success',
      DocumentName: 'AWS-RestartEC2Instance',
    },
  });
  const asg = mockClient(AutoScalingClient);
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group] });
  asg.on(DescribeAutoScalingInstancesCommand).resolves({
    AutoScalingInstances: [
      {
        InstanceId: 'i-0abc123def4567890',
        AutoScalingGroupName: 'web-asg',
        AvailabilityZone: 'us-east-1a',
        LifecycleState: 'InService',
        HealthStatus: 'HEALTHY',
        ProtectedFromScaleIn: false,
      },
    ],
  });
  asg.on(SetDesiredCapacityCommand).resolves({}).on(SetInstanceHealthCommand).resolves({});
  asg.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
  const codeDeploy = mockClient(CodeDeployClient);
  codeDeploy.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      lastAttemptedDeployment: { deploymentId: 'd-2', status: 'Succeeded' },
    },
  });
  codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-2', 'd-1'] });
  codeDeploy.on(BatchGetDeploymentsCommand).resolves({
    deploymentsInfo: [
      deployment('d-2', 'web-app/1.5.0.zip', 'Succeeded'),
      deployment('d-1', 'web-app/1.4.1.zip', 'Succeeded', 60),
    ],
  });
  codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('d-2', 'web-app/1.5.0.zip', 'Succeeded') });
  codeDeploy
    .on(CreateDeploymentCommand)
    .resolves({ deploymentId: 'd-3' })
    .on(StopDeploymentCommand)
    .resolves({ status: 'Succeeded' });
  mockClient(CloudWatchClient)
    .on(DescribeAlarmsCommand)
    .resolves({
      // Still in ALARM: the actions' stale-incident check lets them act, and the recovery check polls again.
      MetricAlarms: [
        {
          AlarmName: 'web-cpu-high',
          StateValue: 'ALARM',
          StateUpdatedTimestamp: now,
          StateReason: 'Threshold crossed',
        },
      ],
      CompositeAlarms: [],
    });
}

/** Each function with the fixture it runs (the same ones `npm run invoke` and sam local invoke use). */
const FIXTURES: Record<string, string> = {
  AlarmIngestFunction: 'sns-alarm-cpu-high',
  EventIngestFunction: 'eventbridge-ec2-stopped',
  GuardFunction: 'guard-acquire',
  RequestApprovalFunction: 'request-approval',
  AutoScalingActionFunction: 'auto-scaling-prepare',
  DeploymentRollbackFunction: 'deployment-rollback-prepare',
  AutomationFunction: 'automation-start',
  CheckProgressFunction: 'check-progress',
  VerifyRecoveryFunction: 'verify-recovery',
  RecordOutcomeFunction: 'record-outcome-failed',
  EscalateFunction: 'escalate-step',
  CorrelateChangeFunction: 'correlate-change',
  AwaitEventFunction: 'await-event',
};

// Every function's environment from template.yaml, as Lambda would set it (handlers read it at load).
const template = loadTemplate();
for (const [logicalId] of functionsOf(template))
  Object.assign(process.env, functionEnvironment(template, logicalId, { DryRun: 'false', Environment: 'bench' }));
Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' });
mockAws();
const { FUNCTION_HANDLERS } = await import('../local/functions');
const { lambdaContext } = await import('../local/lambda-context');
const results: Record<string, { p50: number; p99: number; calls: number; error?: string }> = {};
for (const [logicalId, fixture] of Object.entries(FIXTURES)) {
  const handler = FUNCTION_HANDLERS[logicalId];
  if (!handler) throw new Error(`No handler for ${logicalId}`);
  const event = readFileSync(join(ROOT, 'events', `${fixture}.json`), 'utf8');
  const context = lambdaContext(logicalId);
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + CALLS; i += 1) {
      const input = JSON.parse(event) as never; // a fresh event, as Lambda deserialises one per call
      const started = performance.now();
      await handler(input, context);
      if (i >= WARMUP) samples.push(performance.now() - started);
    }
    results[logicalId] = { p50: percentile(samples, 50), p99: percentile(samples, 99), calls: samples.length };
  } catch (error) {
    results[logicalId] = {
      p50: NaN,
      p99: NaN,
      calls: samples.length,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}
writeFileSync(process.argv[2] ?? '/dev/stderr', JSON.stringify(results));
