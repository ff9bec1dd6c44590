import { beforeEach, describe, expect, it } from '@jest/globals';
import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { handler } from '../../functions/event-ingest/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, resetIngestMocks } from '../helpers/aws-mocks';
import { captureMetrics } from '../helpers/emf';
import { loadEvent } from '../helpers/fixtures';
import { incidentFrom } from '../helpers/incidents';

const invoke = (event: unknown) => handler(event, lambdaContext('EventIngestFunction'));

beforeEach(resetIngestMocks);

describe('EventIngestFunction', () => {
  // Issue 18: the events that say an action moved on end the workflow's waits.
  it.each([
    ['eventbridge-alarm-ok', 'wait:alarm:selfhealing-web-cpu-high', 'ignored'],
    ['eventbridge-codedeploy-success', 'wait:deployment:d-ROLLBACK01', 'ignored'],
    ['eventbridge-codedeploy-failure', 'wait:deployment:d-ABCDEF123', 'started'],
    ['eventbridge-asg-launch-successful', 'wait:group:web-asg', 'ignored'],
    ['eventbridge-asg-launch-unsuccessful', 'wait:group:web-asg', 'started'],
    ['eventbridge-automation-status', 'wait:automation:4fc82b26-6b51-4000-8000-3fdba35f04dc', 'ignored'],
  ])('%s resumes the executions waiting on %s (and is %s as an incident)', async (fixture, key, status) => {
    aws.dynamoDb.on(UpdateCommand, { Key: { target: key } }).resolves({ Attributes: { tokens: { e1: 'token-1' } } });

    const { results } = await invoke(loadEvent(fixture));

    expect(results).toEqual([expect.objectContaining({ status, resumed: 1 })]);
    expect(aws.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
  });

  it('starts the incident before waking waiters, so a failed wake (retried by Lambda) never delays a remediation', async () => {
    // Every wait-key write is throttled (the record of what ingest starts is not).
    aws.dynamoDb.on(UpdateCommand).callsFake((input: { Key: { target: string } }) => {
      if (input.Key.target.startsWith('ingested:')) return {};
      throw awsError('ProvisionedThroughputExceededException', 400);
    });

    await expect(invoke(loadEvent('eventbridge-codedeploy-failure'))).rejects.toThrow();

    expect(aws.sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('wakes nothing for an event from another account', async () => {
    const event = { ...loadEvent<Record<string, unknown>>('eventbridge-codedeploy-success'), account: '999999999999' };

    const { results } = await invoke(event);

    expect(results[0]?.status).toBe('rejected');
    expect(aws.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('turns a CloudWatch Alarm State Change into the same incident shape as the SNS path', async () => {
    const { results } = await invoke(loadEvent('eventbridge-alarm-state-change'));

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'started',
      incident: {
        source: 'cloudwatch-alarm',
        detectedAt: '2026-11-23T10:15:30.123Z',
        alarm: {
          name: 'selfhealing-web-cpu-high',
          arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:selfhealing-web-cpu-high',
          type: 'metric',
          state: 'ALARM',
          previousState: 'OK',
          namespace: 'AWS/EC2',
          metricName: 'CPUUtilization',
          dimensions: { AutoScalingGroupName: 'web-asg' },
          tags: { team: 'web' },
        },
        target: { autoScalingGroupName: 'web-asg' },
      },
    });
    expect(aws.sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: results[0]?.executionName });
  });

  it('gives an alarm transition delivered by both SNS and EventBridge one execution name', async () => {
    const viaSns = incidentFrom('sns-alarm-cpu-high');
    const event = loadEvent<{ resources: string[]; detail: { alarmName: string } }>('eventbridge-alarm-state-change');
    event.detail.alarmName = 'web-cpu-high';
    event.resources = ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high'];

    const { results } = await invoke(event);

    expect(results[0]?.executionName).toBe(viaSns.id);
  });

  it('ignores an alarm going back to OK', async () => {
    const { results } = await invoke(loadEvent('eventbridge-alarm-ok'));

    expect(results[0]).toMatchObject({ status: 'ignored', reason: 'alarm state OK is not actionable' });
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('turns a CodeDeploy FAILURE into an incident with the deployment as its target', async () => {
    const { results } = await invoke(loadEvent('eventbridge-codedeploy-failure'));

    expect(results[0]).toMatchObject({
      status: 'started',
      executionName: expect.stringMatching(/^deploy-web-app-web-prod-FAILURE-[0-9a-f]{20}$/),
      incident: {
        source: 'codedeploy',
        event: {
          source: 'aws.codedeploy',
          detailType: 'CodeDeploy Deployment State-change Notification',
          state: 'FAILURE',
        },
        target: { codedeploy: { application: 'web-app', deploymentGroup: 'web-prod', deploymentId: 'd-ABCDEF123' } },
      },
    });
  });

  it('ignores CodeDeploy states other than FAILURE', async () => {
    const event = loadEvent<{ detail: { state: string } }>('eventbridge-codedeploy-failure');
    event.detail.state = 'SUCCESS';

    const { results } = await invoke(event);

    expect(results[0]).toMatchObject({ status: 'ignored', reason: 'deployment state SUCCESS is not actionable' });
  });

  it.each([
    ['eventbridge-asg-launch-unsuccessful', { autoScalingGroupName: 'web-asg' }, /^asg-web-asg-launch-failed-/],
    [
      'eventbridge-asg-terminate-unsuccessful',
      { autoScalingGroupName: 'web-asg', instanceId: 'i-0abc123def4567890' },
      /^asg-web-asg-terminate-failed-/,
    ],
  ])('turns %s into an Auto Scaling incident', async (fixture, target, name) => {
    const { results } = await invoke(loadEvent(fixture));

    expect(results[0]).toMatchObject({
      status: 'started',
      executionName: expect.stringMatching(name),
      incident: { source: 'autoscaling', target },
    });
  });

  it.each([
    ['eventbridge-ec2-stopped', 'stopped', 'i-0abc123def4567890'],
    ['eventbridge-ec2-terminated', 'terminated', 'i-0fed987cba6543210'],
  ])('turns %s into an EC2 incident', async (fixture, state, instanceId) => {
    const { results } = await invoke(loadEvent(fixture));

    expect(results[0]).toMatchObject({
      status: 'started',
      incident: { source: 'ec2', event: { state }, target: { instanceId } },
    });
  });

  it('ignores an instance that is merely running', async () => {
    const event = loadEvent<{ detail: { state: string } }>('eventbridge-ec2-stopped');
    event.detail.state = 'running';

    const { results } = await invoke(event);

    expect(results[0]?.status).toBe('ignored');
  });

  it('rejects a known event with a bad detail, naming the field, and dead-letters it with a metric', async () => {
    const { result, metrics } = await captureMetrics(() => invoke(loadEvent('eventbridge-malformed-detail')));

    expect(result.results).toEqual([
      { status: 'rejected', reason: 'detail.deploymentId: expected string, received undefined' },
    ]);
    expect(aws.sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: process.env.DEAD_LETTER_QUEUE_URL });
    expect(metrics.find((m) => m.name === 'InvalidEvents')?.value).toBe(1);
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('rejects an event type no rule should route here', async () => {
    const event = loadEvent<Record<string, unknown>>('eventbridge-ec2-stopped');
    event['detail-type'] = 'AWS API Call via CloudTrail';

    const { results } = await invoke(event);

    expect(results[0]).toEqual({
      status: 'rejected',
      reason: 'detail-type: unsupported "AWS API Call via CloudTrail"',
    });
  });

  it('throws InvalidEventError for a payload that is not an EventBridge event', async () => {
    await expect(invoke(loadEvent('eventbridge-unusable'))).rejects.toMatchObject({
      name: 'InvalidEventError',
      message: expect.stringMatching(/^Not an EventBridge event: /),
    });
  });
});
