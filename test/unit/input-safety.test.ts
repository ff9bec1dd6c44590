import { beforeEach, describe, expect, it } from '@jest/globals';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { handler as alarmIngest } from '../../functions/alarm-ingest/handler';
import { handler as eventIngest } from '../../functions/event-ingest/handler';
import { nestedDeeperThan } from '../../functions/domain/inbound/depth';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetIngestMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

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
    ['another account', (m: Record<string, unknown>) => (m.AWSAccountId = '999999999999')],
    [
      'another Region',
      (m: Record<string, unknown>) => (m.AlarmArn = String(m.AlarmArn).replace(':us-east-1:', ':eu-west-1:')),
    ],
  ])('rejects an alarm from %s instead of acting on the same-named group here', async (_where, change) => {
    const { results } = await ingestSns(withMessage(change));

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
