import { AutoScalingClient, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DescribeAutomationExecutionsCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import { mockClient } from 'aws-sdk-client-mock';

/** One mock per service, by client class: every handler's module-scope client is intercepted. */
export const aws = {
  autoScaling: mockClient(AutoScalingClient),
  cloudWatch: mockClient(CloudWatchClient),
  codeDeploy: mockClient(CodeDeployClient),
  dynamoDb: mockClient(DynamoDBDocumentClient),
  /** The workflow's own DynamoDB calls (direct service integrations), in AttributeValue form. */
  dynamoDbIntegration: mockClient(DynamoDBClient),
  sfn: mockClient(SFNClient),
  sns: mockClient(SNSClient),
  sqs: mockClient(SQSClient),
  ssm: mockClient(SSMClient),
};

export function resetAwsMocks(): void {
  for (const mock of Object.values(aws)) mock.reset();
  forgetKillSwitch();
}

/** An error shaped like the SDK's for a service error (name, HTTP status). */
export function awsError(name: string, status = 400, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? 'server' : 'client',
  });
}

/** What ingest needs from AWS, answering as it would when all is well. */
export function resetIngestMocks(): void {
  resetAwsMocks();
  aws.sfn
    .on(StartExecutionCommand)
    .resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:remediation:x', startDate: new Date() });
  aws.sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  // Events that end a wait take its tokens from the guard table: nobody waits, by default.
  aws.dynamoDb.on(UpdateCommand).resolves({});
}

/** The triggering alarm still firing when an action re-reads it (the stale-incident check). */
export function alarmStillFiring(): void {
  aws.cloudWatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [{ AlarmName: 'x', StateValue: 'ALARM', StateUpdatedTimestamp: new Date('2026-11-23T10:15:30Z') }],
  });
}

/** Right before a change: the alarm still firing, the kill switch off, this execution's lock still held. */
export function readyToAct(): void {
  alarmStillFiring();
  aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: 'false' } });
  aws.dynamoDb.on(UpdateCommand).resolves({});
}

/** The guard step with a free target and the kill switch off; no automation running; the alarm still firing; no recent change. */
export function guardAllowsEverything(): void {
  alarmStillFiring();
  // No recent change for change-aware rules to correlate.
  aws.autoScaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
  aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: 'false' } });
  aws.dynamoDb.on(GetCommand).resolves({});
  aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
  aws.ssm.on(DescribeAutomationExecutionsCommand).resolves({ AutomationExecutionMetadataList: [] });
}

/** Resolves once `alsoSent()` holds; fails (naming `what`) when the step never makes that other call while this one waits. */
export async function untilAlsoSent(alsoSent: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !alsoSent(); waited += 5) {
    if (waited > 2_000) throw new Error(`${what} was not made together with the step’s other read`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The triggering alarm, answered only once `alsoSent()` says the step's other read is in flight:
 * a step that makes the two reads one after the other gets an error here instead of an answer.
 */
export function alarmAnsweredAlongside(alsoSent: () => boolean, state: 'ALARM' | 'OK' = 'ALARM'): void {
  aws.cloudWatch.on(DescribeAlarmsCommand).callsFake(async () => {
    await untilAlsoSent(alsoSent, 'DescribeAlarms');
    return {
      MetricAlarms: [{ AlarmName: 'x', StateValue: state, StateUpdatedTimestamp: new Date('2026-11-23T10:15:30Z') }],
    };
  });
}
