import { beforeEach, describe, expect, it } from '@jest/globals';
import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as alarmIngest } from '../../functions/alarm-ingest/handler';
import { handler as eventIngest } from '../../functions/event-ingest/handler';
import { nestedDeeperThan } from '../../functions/domain/inbound/depth';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetIngestMocks } from '../helpers/aws-mocks';
import { eventFiles, loadEvent } from '../helpers/fixtures';

// Issue 17, item 16: untrusted input at the boundary. Each test failed on the code before it.

type SnsEvent = { Records: { Sns: { Message: string } }[] };
const withMessage = (change: (message: Record<string, unknown>) => void): SnsEvent => {
  const event = loadEvent<SnsEvent>('sns-alarm-cpu-high');
  const record = event.Records[0] as SnsEvent['Records'][number];
  const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
  change(message);
  record.Sns.Message = JSON.stringify(message);
  return event;
};
const ingestSns = (event: unknown) =>
  alarmIngest(event, lambdaContext('AlarmIngestFunction')) as Promise<{
    results: { status: string; reason?: string }[];
  }>;

beforeEach(() => resetIngestMocks());

describe('dates an alarm carries', () => {
  it.each([
    ['a date in the far future', '2099-01-01T00:00:00.000+0000', /later than its arrival/],
    ['an impossible date', '2026-02-30T10:15:30.123+0000', /not an ISO 8601 timestamp/],
    ['a date that is not ISO 8601', '11/23/2026 10:15:30', /not an ISO 8601 timestamp/],
  ])('rejects %s, starts nothing and dead-letters it', async (_what, time, reason) => {
    const { results } = await ingestSns(withMessage((m) => (m.StateChangeTime = time)));

    expect(results).toEqual([expect.objectContaining({ status: 'rejected', reason: expect.stringMatching(reason) })]);
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(aws.sqs).toHaveReceivedCommand(SendMessageCommand);
  });
});

describe('alarms from elsewhere', () => {
  it.each([
    // Each consistent in itself (the ARN, the account id and the topic agree): only this stack differs.
    [
      'another account',
      (m: Record<string, unknown>) => {
        m.AWSAccountId = '999999999999';
        m.AlarmArn = String(m.AlarmArn).replace(':123456789012:', ':999999999999:');
      },
      undefined,
    ],
    [
      'another Region',
      (m: Record<string, unknown>) => (m.AlarmArn = String(m.AlarmArn).replace(':us-east-1:', ':eu-west-1:')),
      'arn:aws:sns:eu-west-1:123456789012:self-healing-AlarmTopic',
    ],
  ])('rejects an alarm from %s instead of acting on the same-named group here', async (_where, change, topic) => {
    const event = withMessage(change);
    if (topic) (event.Records[0] as { Sns: { TopicArn?: string } }).Sns.TopicArn = topic;
    const { results } = await ingestSns(event);

    expect(results).toEqual([
      expect.objectContaining({ status: 'rejected', reason: expect.stringContaining('this stack acts only in') }),
    ]);
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('EventBridge events from elsewhere', () => {
  it.each(['eventbridge-codedeploy-failure', 'eventbridge-ec2-stopped', 'eventbridge-asg-launch-unsuccessful'])(
    'rejects %s from another account instead of acting on a same-named resource here',
    async (fixture) => {
      const event = { ...loadEvent<Record<string, unknown>>(fixture), account: '999999999999' };

      const response = (await eventIngest(event, lambdaContext('EventIngestFunction'))) as {
        results: { status: string; reason?: string }[];
      };

      expect(response.results).toEqual([
        expect.objectContaining({ status: 'rejected', reason: expect.stringContaining('this stack acts only in') }),
      ]);
      expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    },
  );
});

describe('deeply nested events', () => {
  const deep = (levels: number): unknown => {
    let value: unknown = 'bottom';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  it('rejects and dead-letters a 100,000-level EventBridge detail instead of overflowing the stack', async () => {
    const event = { ...loadEvent<Record<string, unknown>>('eventbridge-alarm-state-change'), detail: deep(100_000) };

    const response = (await eventIngest(event, lambdaContext('EventIngestFunction'))) as {
      results: { status: string; reason?: string }[];
    };

    expect(response.results).toEqual([
      expect.objectContaining({ status: 'rejected', reason: expect.stringContaining('nested deeper than') }),
    ]);
    const body = JSON.parse(String(aws.sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody)) as {
      record: unknown;
    };
    expect(body.record).toMatch(/not copied: nested deeper than/);
  });

  it('measures depth without recursion', () => {
    expect(nestedDeeperThan(deep(1_000_000), 32)).toBe(true);
    expect(nestedDeeperThan(deep(31), 32)).toBe(false);
  });
});

// Issue 26, item 4: alarm text and event times are judged before anything is started or woken.

const ingestEventBridge = (event: unknown) =>
  eventIngest(event, lambdaContext('EventIngestFunction')) as Promise<{
    results: { status: string; reason?: string }[];
  }>;

/** Nothing started, no wait ended, and the record dead-lettered. */
function expectRejectedAndInert(results: { status: string; reason?: string }[], reason: RegExp): void {
  expect(results).toEqual([expect.objectContaining({ status: 'rejected', reason: expect.stringMatching(reason) })]);
  expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  expect(aws.dynamoDb).not.toHaveReceivedCommand(UpdateCommand);
  expect(aws.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  expect(aws.sqs).toHaveReceivedCommand(SendMessageCommand);
}

describe('alarms whose own fields disagree', () => {
  it('rejects an SNS alarm whose AlarmArn names another account than AWSAccountId', async () => {
    const { results } = await ingestSns(
      withMessage((m) => (m.AlarmArn = String(m.AlarmArn).replace(':123456789012:', ':999999999999:'))),
    );

    expectRejectedAndInert(results, /^Records\.0\.Sns\.Message\.AlarmArn: .*999999999999.*AWSAccountId.*123456789012/);
  });

  it('rejects an SNS alarm whose AlarmArn names another Region than the topic it arrived on', async () => {
    // The alarm claims this stack's Region; the topic that carried it is in another one.
    const event = withMessage(() => undefined);
    const record = event.Records[0] as { Sns: { TopicArn?: string } };
    record.Sns.TopicArn = 'arn:aws:sns:eu-west-1:123456789012:self-healing-AlarmTopic';

    const { results } = await ingestSns(event);

    expectRejectedAndInert(results, /^Records\.0\.Sns\.Message\.AlarmArn: .*us-east-1.*TopicArn.*eu-west-1/);
  });

  it('rejects an EventBridge alarm event whose resource names another account or Region than the event', async () => {
    for (const [from, to] of [
      [':123456789012:', ':999999999999:'],
      [':us-east-1:', ':eu-west-1:'],
    ] as const) {
      resetIngestMocks();
      const event = loadEvent<{ resources: string[] }>('eventbridge-alarm-state-change');
      event.resources = event.resources.map((arn) => arn.replace(from, to));

      const { results } = await ingestEventBridge(event);

      expectRejectedAndInert(results, /^resources\.0: /);
    }
  });
});

describe('event times beyond the future skew', () => {
  const FAR_FUTURE = '2099-01-01T00:00:00.000+0000';

  it.each(['ALARM', 'OK', 'INSUFFICIENT_DATA'])(
    'rejects an SNS alarm in %s dated 2099: it starts, wakes and decides nothing',
    async (state) => {
      aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: { tokens: { 'exec-1': 'token-1' } } });

      const { results } = await ingestSns(
        withMessage((m) => {
          m.NewStateValue = state;
          m.StateChangeTime = FAR_FUTURE;
        }),
      );

      expectRejectedAndInert(results, /^Records\.0\.Sns\.Message\.StateChangeTime: .*later than its arrival/);
    },
  );

  it.each(['ALARM', 'OK', 'INSUFFICIENT_DATA'])(
    'rejects an EventBridge alarm in %s whose state is dated 2099: it starts, wakes and decides nothing',
    async (state) => {
      aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: { tokens: { 'exec-1': 'token-1' } } });
      const event = loadEvent<{ detail: { state: { value: string; timestamp: string } } }>('eventbridge-alarm-ok');
      event.detail.state = { ...event.detail.state, value: state, timestamp: FAR_FUTURE };

      const { results } = await ingestEventBridge(event);

      expectRejectedAndInert(results, /^detail\.state\.timestamp: .*later than its arrival/);
    },
  );

  const eventBridgeFixtures = eventFiles()
    .map((file) => file.replace('.json', ''))
    .filter((name) => name.startsWith('eventbridge-') && !/malformed|unusable/.test(name));

  it.each(eventBridgeFixtures)(
    'rejects %s dated 2099 (its time): it starts, wakes and decides nothing',
    async (fixture) => {
      aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: { tokens: { 'exec-1': 'token-1' } } });
      const event = { ...loadEvent<Record<string, unknown>>(fixture), time: '2099-01-01T00:00:00Z' };

      const { results } = await ingestEventBridge(event);

      expectRejectedAndInert(results, /^time: .*later than its arrival/);
    },
  );

  it('accepts an event up to the allowed skew ahead of its arrival (clocks differ a little)', async () => {
    const soon = new Date(Date.parse('2026-11-23T10:16:00Z') + 240_000).toISOString();
    const event = { ...loadEvent<Record<string, unknown>>('eventbridge-codedeploy-failure'), time: soon };

    const { results } = await ingestEventBridge(event);

    expect(results).toEqual([expect.objectContaining({ status: 'started' })]);
  });
});

describe('alarm text at the boundary', () => {
  it("cuts an alarm's reason to 1 KiB before it enters the execution, and says it was cut", async () => {
    const { results } = await ingestSns(
      withMessage((m) => (m.NewStateReason = `Threshold Crossed ${'x'.repeat(10_240)}`)),
    );

    const { input } = aws.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input ?? {};
    const reason = (JSON.parse(input ?? '{}') as { alarm?: { reason?: string } }).alarm?.reason ?? '';
    expect(results[0]?.status).toBe('started');
    expect(reason.startsWith('Threshold Crossed xxx')).toBe(true);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(1024);
    expect(reason).toMatch(/\[cut\]$/);
  });

  it.each([
    [
      '51 tags',
      (m: Record<string, unknown>) =>
        (m.AlarmTags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']))),
      /AlarmTags: /,
    ],
    [
      '31 dimensions',
      (m: Record<string, unknown>) =>
        (m.Trigger = {
          ...(m.Trigger as object),
          Dimensions: Array.from({ length: 31 }, (_, i) => ({ name: `d${i}`, value: 'v' })),
        }),
      /Trigger\.Dimensions: /,
    ],
    [
      'a tag key of 129 characters',
      (m: Record<string, unknown>) => (m.AlarmTags = { ['k'.repeat(129)]: 'v' }),
      /AlarmTags/,
    ],
    [
      'a control character in the alarm name',
      (m: Record<string, unknown>) => (m.AlarmName = 'web\u0007cpu'),
      /AlarmName: /,
    ],
  ])('rejects an alarm with more than CloudWatch allows: %s', async (_what, change, reason) => {
    const { results } = await ingestSns(withMessage(change));

    expect(results).toEqual([
      expect.objectContaining({
        status: 'rejected',
        reason: expect.stringMatching(new RegExp(`^Records\\.0\\.Sns\\.Message\\.${reason.source}`)),
      }),
    ]);
    expect(aws.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
