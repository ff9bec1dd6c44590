import { beforeEach, describe, expect, it } from '@jest/globals';
import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { handler } from '../../functions/alarm-ingest/handler';
import { IncidentSchema, alarmIncidentId } from '../../functions/domain/incident';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, resetIngestMocks } from '../helpers/aws-mocks';
import { captureMetrics } from '../helpers/emf';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) => handler(event, lambdaContext('AlarmIngestFunction'));

function startedInput(index = 0) {
  const input = aws.sfn.commandCalls(StartExecutionCommand)[index]?.args[0].input;
  return { ...input, incident: JSON.parse(input?.input ?? '{}') as unknown };
}

function snsEventWith(message: object) {
  const event = loadEvent<{ Records: { Sns: { Message: string } }[] }>('sns-alarm-cpu-high');
  const record = event.Records[0];
  if (record) record.Sns.Message = JSON.stringify({ ...JSON.parse(record.Sns.Message), ...message });
  return event;
}

beforeEach(resetIngestMocks);

describe('AlarmIngestFunction', () => {
  it('starts one execution per ALARM notification, named by the incident id, with the normalised incident as input', async () => {
    const { results } = await invoke(loadEvent('sns-alarm-cpu-high'));

    expect(results).toHaveLength(1);
    expect(results[0]?.status).toBe('started');
    const { stateMachineArn, name, incident } = startedInput();
    expect(stateMachineArn).toBe(process.env.STATE_MACHINE_ARN);
    expect(name).toBe(results[0]?.executionName);
    expect(IncidentSchema.parse(incident)).toMatchObject({
      id: name,
      source: 'cloudwatch-alarm',
      account: '123456789012',
      region: 'us-east-1',
      dryRun: false,
      detectedAt: '2026-11-23T10:15:30.123Z',
      alarm: {
        name: 'web-cpu-high',
        arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high',
        type: 'metric',
        state: 'ALARM',
        previousState: 'OK',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: { AutoScalingGroupName: 'web-asg' },
        tags: {},
      },
      target: { autoScalingGroupName: 'web-asg' },
    });
  });

  it('ignores OK transitions without starting anything', async () => {
    const { results } = await invoke(loadEvent('sns-alarm-ok'));

    expect(results).toEqual([
      expect.objectContaining({ status: 'ignored', reason: 'alarm state OK is not actionable' }),
    ]);
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  // Issue 18: the OK transition ingest used to ignore now ends the wait of the execution it recovers.
  it('resumes the executions waiting for the alarm to return to OK, each once, and takes their tokens', async () => {
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: { tokens: { 'exec-1': 'token-1', 'exec-2': 'token-2' } } });
    aws.sfn.on(SendTaskSuccessCommand, { taskToken: 'token-2' }).rejects(awsError('TaskTimedOut'));

    const { results } = await invoke(loadEvent('sns-alarm-ok'));

    expect(results).toEqual([expect.objectContaining({ status: 'ignored', resumed: 1 })]);
    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { target: 'wait:alarm:web-cpu-high' },
      UpdateExpression: 'SET lastEventAt = :at, lastEvent = :by, expiresAt = :ttl REMOVE tokens',
      ReturnValues: 'ALL_OLD',
    });
    // The second waiter had already timed out into its poll: a late event is harmless.
    expect(aws.sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 2);
    expect(aws.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: 'token-1',
      output: expect.stringContaining('"by":"sns: OK web-cpu-high'),
    });
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('wakes nobody on a transition to ALARM', async () => {
    await invoke(loadEvent('sns-alarm-cpu-high'));

    // Its one guard-table write records the incident it starts (domain/provenance.ts), no wait key.
    const written = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.Key?.target));
    expect(written).toEqual(['ingested:alarm-web-cpu-high-f7043769cb7b8bad5936']);
    expect(aws.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('reads a metric-math alarm: the first metric, every dimension, and list-form alarm tags', async () => {
    const { results } = await invoke(loadEvent('sns-alarm-metric-math'));

    expect(results[0]?.incident?.alarm).toMatchObject({
      type: 'metric-math',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: { LoadBalancer: 'app/web-alb/50dc6c495c0c9188' },
      tags: { 'selfhealing:codedeploy-application': 'web-app', 'selfhealing:codedeploy-deployment-group': 'web-prod' },
    });
    expect(results[0]?.incident?.target).toEqual({
      codedeploy: { application: 'web-app', deploymentGroup: 'web-prod' },
    });
  });

  it('reads a composite alarm by its rule', async () => {
    const { results } = await invoke(loadEvent('sns-alarm-composite'));

    expect(results[0]?.status).toBe('started');
    expect(results[0]?.incident?.alarm).toMatchObject({
      type: 'composite',
      alarmRule: 'ALARM("web-cpu-high") AND ALARM("web-latency-high")',
      dimensions: {},
    });
  });

  it('reads object-form alarm tags', async () => {
    const { results } = await invoke(loadEvent('sns-alarm-tagged'));

    expect(results[0]?.incident?.alarm?.tags).toEqual({
      'selfhealing:action': 'scale-out',
      'selfhealing:target': 'api-workers-asg',
      'selfhealing:step': '3',
      team: 'api',
    });
  });

  it('reports a redelivered notification as a duplicate, not an error', async () => {
    aws.sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists'));

    const { results } = await invoke(loadEvent('sns-alarm-cpu-high'));

    expect(results[0]).toMatchObject({
      status: 'duplicate',
      executionName: expect.stringMatching(/^alarm-web-cpu-high-/),
    });
  });

  it('gives the same execution name to the same transition on every delivery', async () => {
    const first = await invoke(loadEvent('sns-alarm-cpu-high'));
    const second = await invoke(loadEvent('sns-alarm-cpu-high'));

    expect(first.results[0]?.executionName).toBe(second.results[0]?.executionName);
    expect(first.results[0]?.incident?.receivedAt).toBeDefined();
  });

  it('rejects each malformed record with the field and the problem, dead-letters it, and still starts the good one', async () => {
    const { result, metrics } = await captureMetrics(() => invoke(loadEvent('sns-alarm-malformed-batch')));

    expect(result.results.map((r) => r.status)).toEqual(['started', 'rejected', 'rejected', 'rejected']);
    expect(result.results[1]?.reason).toMatch(
      /^Records\.1\.Sns\.Message\.AlarmName: expected string, received undefined/,
    );
    expect(result.results[2]?.reason).toMatch(/^Records\.2\.Sns\.Message: /);
    expect(result.results[3]?.reason).toMatch(
      /^Records\.3\.Sns\.Message\.NewStateValue: .*"OK"\|"ALARM"\|"INSUFFICIENT_DATA"/,
    );
    expect(aws.sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(aws.sqs).toHaveReceivedCommandTimes(SendMessageCommand, 3);
    const deadLetter = JSON.parse(aws.sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}') as {
      reason: string;
      record: unknown;
    };
    expect(deadLetter.reason).toBe(result.results[1]?.reason);
    expect(deadLetter.record).toEqual(loadEvent<{ Records: unknown[] }>('sns-alarm-malformed-batch').Records[1]);
    expect(metrics.filter((m) => m.name === 'InvalidEvents').map((m) => m.value)).toEqual([3]);
    expect(metrics.find((m) => m.name === 'IncidentsReceived')).toMatchObject({
      value: 1,
      dimensions: { Environment: 'test' },
    });
  });

  it('throws InvalidEventError for a payload that is not an SNS event, so Lambda retries and dead-letters it', async () => {
    await expect(invoke(loadEvent('sns-invalid-envelope'))).rejects.toMatchObject({
      name: 'InvalidEventError',
      message: expect.stringContaining('Records: expected array'),
    });
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('throws a retryable named error when Step Functions throttles, so no record is lost', async () => {
    aws.sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException', 400, 'Rate exceeded'));

    await expect(invoke(loadEvent('sns-alarm-cpu-high'))).rejects.toMatchObject({ name: 'AwsThrottledError' });
  });

  it('names executions validly for 255-character alarm names with spaces, symbols and unicode', async () => {
    const longName = `Prod — API latency p99 > 2s / eu-west-1 (ünïcödé) ${'x'.repeat(200)}`.slice(0, 255);
    const { results } = await invoke(
      snsEventWith({ AlarmName: longName, AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${longName}` }),
    );

    const name = results[0]?.executionName ?? '';
    expect(results[0]?.status).toBe('started');
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^alarm-Prod-API-latency-p99-2s-eu-west-1-unicode-x+-[0-9a-f]{20}$/);
  });

  it('keeps names distinct when two long alarm names share their first 60 characters', () => {
    const prefix = 'a'.repeat(100);
    const one = alarmIncidentId('123456789012', 'us-east-1', `${prefix}-one`, 'ALARM', '2026-11-23T10:00:00.000Z');
    const two = alarmIncidentId('123456789012', 'us-east-1', `${prefix}-two`, 'ALARM', '2026-11-23T10:00:00.000Z');

    expect(one).not.toBe(two);
    expect(one.length).toBe(80);
  });
});
