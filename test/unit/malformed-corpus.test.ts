import { beforeEach, describe, expect, it } from '@jest/globals';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { handler as alarmIngest } from '../../functions/alarm-ingest/handler';
import { handler as eventIngest } from '../../functions/event-ingest/handler';
import { ExecutionNameSchema } from '../../functions/domain/incident';
import type { IngestResponse } from '../../functions/aws/ingest';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetIngestMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

// A corpus of malformed and edge-case inbound events, hand-written and generated: no unhandled
// crash, every rejection names the field, good records of a mixed batch still start.

type Json = Record<string, unknown>;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const goodSnsRecord = (loadEvent<{ Records: Json[] }>('sns-alarm-cpu-high').Records[0] ?? {}) as Json & {
  Sns: Json & { Message: string };
};
const goodMessage = JSON.parse(goodSnsRecord.Sns.Message) as Json;
const goodEventBridge = loadEvent<Json>('eventbridge-alarm-state-change');

function snsRecordWith(message: unknown, raw?: string): Json {
  const record = clone(goodSnsRecord);
  record.Sns.Message = raw ?? JSON.stringify(message);
  return record;
}

/** A rejection reason starts with the path of the offending field, then says what is wrong. */
const NAMES_A_FIELD = /^(Records\.\d+(\.[\w$-]+)*|detail(\.[\w$-]+)*|detail-type): \S/;

type Outcome = { kind: 'results'; response: IngestResponse } | { kind: 'thrown'; name: string; message: string };

async function run(fn: typeof alarmIngest, event: unknown): Promise<Outcome> {
  try {
    return { kind: 'results', response: await fn(event, lambdaContext('ingest')) };
  } catch (error) {
    const e = error as Error;
    return { kind: 'thrown', name: e.name, message: e.message };
  }
}

/** What every outcome must satisfy, whatever the input. */
function expectWellBehaved(outcome: Outcome, records: number): void {
  if (outcome.kind === 'thrown') {
    expect(outcome.name).toBe('InvalidEventError');
    expect(outcome.message).toMatch(/^Not an (SNS|EventBridge) event: ([\w.-]+|\(root\)): /);
    return;
  }
  expect(outcome.response.results).toHaveLength(records);
  for (const result of outcome.response.results) {
    expect(['started', 'duplicate', 'ignored', 'rejected']).toContain(result.status);
    if (result.status === 'rejected') expect(result.reason).toMatch(NAMES_A_FIELD);
    if (result.status === 'started') expect(ExecutionNameSchema.safeParse(result.executionName).success).toBe(true);
  }
}

beforeEach(resetIngestMocks);

const without = (key: string) => {
  const message = clone(goodMessage);
  delete message[key];
  return message;
};
const withValue = (key: string, value: unknown) => ({ ...clone(goodMessage), [key]: value });

const SNS_CASES: [string, Json, 'started' | 'ignored' | 'rejected', RegExp?][] = [
  [
    'truncated JSON',
    snsRecordWith(null, goodSnsRecord.Sns.Message.slice(0, 60)),
    'rejected',
    /^Records\.0\.Sns\.Message: /,
  ],
  ['empty Message', snsRecordWith(null, ''), 'rejected'],
  ['Message is JSON null', snsRecordWith(null), 'rejected'],
  ['Message is a JSON array', snsRecordWith([1, 2]), 'rejected'],
  ['Message is plain text', snsRecordWith(null, 'ALARM: web-cpu-high'), 'rejected'],
  ...['AlarmName', 'AlarmArn', 'AWSAccountId', 'NewStateValue', 'StateChangeTime'].map(
    (key): [string, Json, 'rejected', RegExp] => [
      `missing ${key}`,
      snsRecordWith(without(key)),
      'rejected',
      new RegExp(`^Records\\.0\\.Sns\\.Message\\.${key}: `),
    ],
  ),
  ['missing Trigger and AlarmRule', snsRecordWith(without('Trigger')), 'rejected', /Message\.Trigger: needs Trigger/],
  ['AlarmName a number', snsRecordWith(withValue('AlarmName', 42)), 'rejected', /AlarmName: expected string/],
  ['AlarmName empty', snsRecordWith(withValue('AlarmName', '')), 'rejected', /AlarmName: /],
  [
    'AlarmName 256 characters',
    snsRecordWith(withValue('AlarmName', 'a'.repeat(256))),
    'rejected',
    /AlarmName: Too big/,
  ],
  ['unknown state WARNING', snsRecordWith(withValue('NewStateValue', 'WARNING')), 'rejected', /NewStateValue: /],
  ['state in lower case', snsRecordWith(withValue('NewStateValue', 'alarm')), 'rejected', /NewStateValue: /],
  ['OldStateValue unknown', snsRecordWith(withValue('OldStateValue', 'MAYBE')), 'rejected', /OldStateValue: /],
  [
    'StateChangeTime not a date',
    snsRecordWith(withValue('StateChangeTime', 'yesterday')),
    'rejected',
    /StateChangeTime: not an ISO 8601 timestamp/,
  ],
  [
    'AlarmArn of another service',
    snsRecordWith(withValue('AlarmArn', 'arn:aws:sns:us-east-1:123456789012:topic')),
    'rejected',
    /AlarmArn: expected a CloudWatch alarm ARN/,
  ],
  [
    'account id too short',
    snsRecordWith(withValue('AWSAccountId', '1234')),
    'rejected',
    /AWSAccountId: expected a 12-digit/,
  ],
  ['Trigger a string', snsRecordWith(withValue('Trigger', 'CPU')), 'rejected', /Trigger: /],
  [
    'Trigger without metric',
    snsRecordWith(withValue('Trigger', { Dimensions: [] })),
    'rejected',
    /Trigger\.MetricName: needs MetricName/,
  ],
  [
    'dimension value a number',
    snsRecordWith(withValue('Trigger', { MetricName: 'CPU', Dimensions: [{ name: 'InstanceId', value: 7 }] })),
    'rejected',
    /Trigger\.Dimensions\.0: /,
  ],
  ['AlarmTags a string', snsRecordWith(withValue('AlarmTags', 'team=web')), 'rejected', /AlarmTags: /],
  ['AlarmTags list without Value', snsRecordWith(withValue('AlarmTags', [{ Key: 'team' }])), 'rejected', /AlarmTags: /],
  [
    'EventSource not SNS',
    { ...clone(goodSnsRecord), EventSource: 'aws:sqs' },
    'rejected',
    /^Records\.0\.EventSource: /,
  ],
  [
    'Sns missing',
    { EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: 'x' },
    'rejected',
    /^Records\.0\.Sns: /,
  ],
  ['record is a string', 'hello' as unknown as Json, 'rejected', /^Records\.0: /],
  ['record is null', null as unknown as Json, 'rejected', /^Records\.0: /],
  [
    'Sns.Timestamp not ISO',
    { ...clone(goodSnsRecord), Sns: { ...clone(goodSnsRecord.Sns), Timestamp: 'now' } },
    'rejected',
    /Sns\.Timestamp: /,
  ],
  ['huge reason (500 KB) is accepted', snsRecordWith(withValue('NewStateReason', 'x'.repeat(500_000))), 'started'],
  [
    '255-character unicode alarm name is accepted',
    snsRecordWith({ ...withValue('AlarmName', `Prod — ünïcödé ✓ 🚨 ${'é'.repeat(240)}`.slice(0, 255)) }),
    'started',
  ],
  ['alarm name of only symbols is accepted', snsRecordWith(withValue('AlarmName', '!!! ??? ***')), 'started'],
  ['INSUFFICIENT_DATA is ignored', snsRecordWith(withValue('NewStateValue', 'INSUFFICIENT_DATA')), 'ignored'],
  [
    'capitalised dimensions are accepted',
    snsRecordWith(
      withValue('Trigger', {
        MetricName: 'CPUUtilization',
        Namespace: 'AWS/EC2',
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web-asg' }],
      }),
    ),
    'started',
  ],
  [
    'null optional fields are accepted',
    snsRecordWith({ ...clone(goodMessage), OldStateValue: null, AlarmTags: null, NewStateReason: null }),
    'started',
  ],
  [
    'extra unknown fields are accepted',
    snsRecordWith({ ...clone(goodMessage), SomethingNew: { nested: true } }),
    'started',
  ],
];

describe('malformed and edge-case SNS records', () => {
  // Every row padded to four values: jest would take a missing last argument for `done`.
  it.each(SNS_CASES.map(([n, r, e, re]) => [n, r, e, re ?? null] as const))(
    '%s → %s',
    async (_name, record, expected, reason) => {
      const outcome = await run(alarmIngest, { Records: [record] });

      expectWellBehaved(outcome, 1);
      const result = outcome.kind === 'results' ? outcome.response.results[0] : undefined;
      expect(result?.status).toBe(expected);
      if (reason) expect(result?.reason).toMatch(reason);
    },
  );

  it.each([
    ['no Records', {}],
    ['Records not a list', { Records: 'x' }],
    ['empty Records', { Records: [] }],
    ['a string', 'hello'],
    ['null', null],
    ['an EventBridge event', goodEventBridge],
  ])('throws InvalidEventError for an event with %s', async (_name, event) => {
    const outcome = await run(alarmIngest, event);

    expect(outcome).toMatchObject({ kind: 'thrown', name: 'InvalidEventError' });
    expectWellBehaved(outcome, 0);
  });

  it('starts the good records of a mixed batch and rejects only the bad ones', async () => {
    const batch = SNS_CASES.map(([, record]) => record);
    const outcome = await run(alarmIngest, { Records: batch });

    expectWellBehaved(outcome, batch.length);
    const statuses = outcome.kind === 'results' ? outcome.response.results.map((r) => r.status) : [];
    expect(statuses).toEqual(SNS_CASES.map(([, , expected]) => expected));
    expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(
      SNS_CASES.filter(([, , e]) => e === 'started').length,
    );
    expect(aws.sqs.commandCalls(SendMessageCommand)).toHaveLength(
      SNS_CASES.filter(([, , e]) => e === 'rejected').length,
    );
  });
});

const EB_CASES: [string, unknown, 'started' | 'ignored' | 'rejected' | 'thrown', RegExp?][] = [
  ['detail missing', { ...clone(goodEventBridge), detail: undefined }, 'rejected', /^detail: /],
  ['detail null', { ...clone(goodEventBridge), detail: null }, 'rejected', /^detail: /],
  ['detail a string', { ...clone(goodEventBridge), detail: 'ALARM' }, 'rejected', /^detail: /],
  [
    'alarm state unknown',
    {
      ...clone(goodEventBridge),
      detail: {
        ...clone(goodEventBridge.detail as Json),
        state: { value: 'BROKEN', timestamp: '2026-11-23T10:00:00Z' },
      },
    },
    'rejected',
    /^detail\.state\.value: /,
  ],
  [
    'alarm without metrics or rule',
    { ...clone(goodEventBridge), detail: { ...clone(goodEventBridge.detail as Json), configuration: {} } },
    'rejected',
    /^detail\.configuration\.metrics: needs/,
  ],
  [
    'unsupported detail-type',
    { ...clone(goodEventBridge), 'detail-type': 'Something Else' },
    'rejected',
    /^detail-type: unsupported/,
  ],
  [
    'detail-type with 10 000 characters',
    { ...clone(goodEventBridge), 'detail-type': 'x'.repeat(10_000) },
    'rejected',
    /^detail-type: unsupported/,
  ],
  ['CodeDeploy without deploymentId', loadEvent('eventbridge-malformed-detail'), 'rejected', /^detail\.deploymentId: /],
  [
    'CodeDeploy with a bad deploymentId',
    {
      ...loadEvent<Json>('eventbridge-codedeploy-failure'),
      detail: { ...loadEvent<{ detail: Json }>('eventbridge-codedeploy-failure').detail, deploymentId: 'not-an-id' },
    },
    'rejected',
    /^detail\.deploymentId: expected a CodeDeploy deployment id/,
  ],
  [
    'EC2 instance id malformed',
    { ...loadEvent<Json>('eventbridge-ec2-stopped'), detail: { 'instance-id': 'web-1', state: 'stopped' } },
    'rejected',
    /^detail\.instance-id: expected an EC2 instance id/,
  ],
  [
    'Auto Scaling event without group',
    { ...loadEvent<Json>('eventbridge-asg-launch-unsuccessful'), detail: { StatusCode: 'Failed' } },
    'rejected',
    /^detail\.AutoScalingGroupName: /,
  ],
  [
    'EC2 pending is ignored',
    {
      ...loadEvent<Json>('eventbridge-ec2-stopped'),
      detail: { 'instance-id': 'i-0abc123def4567890', state: 'pending' },
    },
    'ignored',
  ],
  ['time not ISO', { ...clone(goodEventBridge), time: 'today' }, 'thrown'],
  ['account missing', { ...clone(goodEventBridge), account: undefined }, 'thrown'],
  ['an SNS event', loadEvent('sns-alarm-cpu-high'), 'thrown'],
  ['an empty object', {}, 'thrown'],
  ['a number', 42, 'thrown'],
  [
    'unicode alarm name is accepted',
    {
      ...clone(goodEventBridge),
      detail: { ...clone(goodEventBridge.detail as Json), alarmName: 'selfhealing-🚨 ünïcödé alarm' },
    },
    'started',
  ],
];

describe('malformed and edge-case EventBridge events', () => {
  it.each(EB_CASES.map(([n, ev, e, re]) => [n, ev, e, re ?? null] as const))(
    '%s → %s',
    async (_name, event, expected, reason) => {
      const outcome = await run(eventIngest, event);

      expectWellBehaved(outcome, 1);
      if (expected === 'thrown') {
        expect(outcome.kind).toBe('thrown');
        return;
      }
      const result = outcome.kind === 'results' ? outcome.response.results[0] : undefined;
      expect(result?.status).toBe(expected);
      if (reason) expect(result?.reason).toMatch(reason);
    },
  );
});

// Generated inputs: random mutations of good events. Whatever the mutation, the handlers answer
// with a result per record (or a named error for an unusable envelope), and never crash.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...Object.keys(goodMessage)) }),
  fc.record({
    kind: fc.constant('replace' as const),
    key: fc.constantFrom(...Object.keys(goodMessage)),
    value: fc.anything({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: goodSnsRecord.Sns.Message.length }) }),
  fc.record({ kind: fc.constant('name' as const), value: fc.string({ unit: 'grapheme', maxLength: 300 }) }),
);

function mutatedRecord(m: { kind: string; key?: string; value?: unknown; at?: number }): Json {
  if (m.kind === 'truncate') return snsRecordWith(null, goodSnsRecord.Sns.Message.slice(0, m.at));
  const message = clone(goodMessage);
  if (m.kind === 'delete' && m.key) delete message[m.key];
  if (m.kind === 'replace' && m.key) message[m.key] = m.value;
  if (m.kind === 'name') message.AlarmName = m.value;
  return snsRecordWith(message);
}

describe('generated malformed inputs (fast-check)', () => {
  it('every mutated SNS alarm record gets a result, and every rejection names its field', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const outcome = await run(alarmIngest, { Records: [mutatedRecord(m)] });
        expectWellBehaved(outcome, 1);
      }),
      { numRuns: 150, seed: 20261123 },
    );
  });

  it('good records in a batch with random bad ones are all started', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(null), mutation), { minLength: 1, maxLength: 6 }),
        async (items) => {
          resetIngestMocks();
          const records = items.map((m, i) =>
            m === null ? snsRecordWith({ ...clone(goodMessage), AlarmName: `good-${i}` }) : mutatedRecord(m),
          );
          const outcome = await run(alarmIngest, { Records: records });
          expectWellBehaved(outcome, records.length);
          const results = outcome.kind === 'results' ? outcome.response.results : [];
          items.forEach((m, i) => {
            if (m === null) expect(results[i]?.status).toBe('started');
          });
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('arbitrary JSON as an EventBridge event never crashes the handler', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything({ maxDepth: 3 }),
          fc
            .record({
              key: fc.constantFrom(...Object.keys(goodEventBridge.detail as Json)),
              value: fc.anything({ maxDepth: 2 }),
            })
            .map(({ key, value }) => ({
              ...clone(goodEventBridge),
              detail: { ...clone(goodEventBridge.detail as Json), [key]: value },
            })),
        ),
        async (event) => {
          expectWellBehaved(await run(eventIngest, event), 1);
        },
      ),
      { numRuns: 150, seed: 11 },
    );
  });
});
