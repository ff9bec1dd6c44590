import {
  AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DescribeAutomationExecutionsCommand,
  DescribeInstanceInformationCommand,
  GetParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import type { Incident } from '../../functions/domain/incident';
import { incidentDigest, ingestedKey } from '../../functions/domain/provenance';
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

/** The triggering alarm, as a re-read finds it. */
export function alarmIn(state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'): void {
  aws.cloudWatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [{ AlarmName: 'x', StateValue: state, StateUpdatedTimestamp: new Date('2026-11-23T10:45:00Z') }],
  });
}

/** Right before a change: the alarm still firing, the kill switch off, this execution's lock still held, nothing else in flight. */
export function readyToAct(): void {
  alarmStillFiring();
  aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/self-healing/paused', Value: 'false' } });
  aws.ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
  aws.dynamoDb.on(GetCommand).resolves({});
  aws.dynamoDb.on(UpdateCommand).resolves({});
}

/**
 * The guard table keeps what each attempt records right before its call (its intent, the exact
 * call), as DynamoDB would: a retried attempt reads it back. Everything else answers as before.
 */
export function guardTableKeepsIntents(): void {
  const items = guardTableItems();
  aws.dynamoDb
    .on(UpdateCommand)
    .callsFake(
      (input: {
        Key?: { target?: string };
        UpdateExpression?: string;
        ExpressionAttributeValues?: Record<string, unknown>;
      }) => {
        const values = input.ExpressionAttributeValues ?? {};
        if (String(input.UpdateExpression).startsWith('SET intentAt'))
          items.set(String(input.Key?.target), {
            target: input.Key?.target,
            lockedBy: values[':me'],
            lockState: 'in-progress',
            intentAt: values[':now'],
            intentCall: values[':operation'],
            intentInput: values[':input'],
          });
        return { Attributes: {} };
      },
    );
}

/** The guard item an earlier attempt of this execution left: it recorded `call` right before making it. */
export function earlierAttemptClaimed(
  owner: string,
  call: { operation: string; input: Record<string, unknown> },
): void {
  aws.dynamoDb.on(GetCommand).callsFake((input: { Key?: { target?: string } }) =>
    String(input.Key?.target).startsWith('disruption:')
      ? {}
      : {
          Item: {
            target: input.Key?.target,
            lockedBy: owner,
            lockState: 'in-progress',
            intentAt: 1,
            intentCall: call.operation,
            intentInput: JSON.stringify(call.input),
          },
        },
  );
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
  // Every instance asked about runs the SSM Agent (so it is known to exist); none is in a group.
  aws.ssm
    .on(DescribeInstanceInformationCommand)
    .callsFake((input: { Filters?: { Key: string; Values: string[] }[] }) => ({
      InstanceInformationList: (input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? []).map(
        (InstanceId) => ({
          InstanceId,
          PingStatus: 'Online',
        }),
      ),
    }));
  aws.autoScaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
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

/**
 * The incident as ingest starts it: recorded in the guard table (its id and content) before the
 * execution, so the plan step finds that ingest, not a person, started it. Returns the incident.
 */
export function ingested<T>(input: T): T {
  const incident = input as Incident;
  aws.dynamoDb
    .on(GetCommand, { Key: { target: ingestedKey(incident.id) } })
    .resolves({ Item: { target: ingestedKey(incident.id), digests: new Set([incidentDigest(incident)]) } });
  return input;
}

/** The guard table's items by key, as GetItem reads them; the caller's UpdateItem fake writes them. */
export function guardTableItems(): Map<string, Record<string, unknown>> {
  const items = new Map<string, Record<string, unknown>>();
  aws.dynamoDb.on(GetCommand).callsFake((input: { Key?: { target?: string } }) => {
    const item = items.get(String(input.Key?.target));
    return item ? { Item: item } : {};
  });
  return items;
}

/** DynamoDB's answer to a conditional write whose condition does not hold. */
export const conditionFailed = (): Error => awsError('ConditionalCheckFailedException');
