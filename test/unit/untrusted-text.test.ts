import { describe, expect, it } from '@jest/globals';
import { approvalMessage } from '../../functions/domain/approval';
import type { Incident } from '../../functions/domain/incident';
import { type Normalised, normaliseEventBridge, normaliseSnsRecord } from '../../functions/domain/inbound/normalise';
import { describeOutcome } from '../../functions/domain/outcome';
import { loadEvent } from '../helpers/fixtures';

// Issue 26, item 4: whatever an alarm's owner writes, the execution state stays small, and what a
// person reads shows every odd character instead of acting on it.

const ctx = { receivedAt: '2026-11-23T10:15:32.000Z', dryRun: false, account: '123456789012', region: 'us-east-1' };

/** The bound the simulation's state-size invariant builds on (64 KiB per state). */
const INCIDENT_BOUND_BYTES = 16 * 1024;
const stateBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** Text of `length` UTF-16 units made of `unit` (a character, or a pair that is one). */
const text = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

interface Alphabet {
  name: string;
  /** For names and keys, which CloudWatch allows to hold no control character. */
  letter: string;
  /** For free text: the character that costs the most bytes in the state's JSON. */
  costly: string;
}
const ALPHABETS: Alphabet[] = [
  { name: 'plain ASCII', letter: 'a', costly: 'x' },
  // '€' is 3 bytes of UTF-8; U+0001 is 6 bytes of JSON (\u0001); a quote or backslash is 2.
  { name: 'the costliest characters', letter: '€', costly: '\u0001' },
];

function hostileSnsRecord({ letter, costly }: Alphabet): unknown {
  const record = loadEvent<{ Records: { Sns: { Message: string } }[] }>('sns-alarm-cpu-high').Records[0];
  const name = text(letter, 255);
  const message = {
    ...(JSON.parse(record?.Sns.Message ?? '{}') as object),
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
    NewStateReason: text(costly, 10_240),
    AlarmRule: text(costly, 10_240),
    AlarmTags: Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`${text(letter, 16)}-${i}`, text(costly, 256)]),
    ),
    Trigger: {
      MetricName: text(letter, 255),
      Namespace: text(letter, 255),
      Dimensions: Array.from({ length: 30 }, (_, i) => ({
        name: `${text(letter, 16)}-${i}`,
        value: text(costly, 1024),
      })),
    },
  };
  return { ...record, Sns: { ...record?.Sns, Message: JSON.stringify(message) } };
}

function hostileEventBridgeAlarm({ letter, costly }: Alphabet): unknown {
  const event = loadEvent<{ detail: Record<string, unknown> }>('eventbridge-alarm-state-change');
  const name = text(letter, 255);
  return {
    ...event,
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`],
    detail: {
      ...event.detail,
      alarmName: name,
      state: { value: 'ALARM', reason: text(costly, 10_240), timestamp: '2026-11-23T10:15:30.123+0000' },
      configuration: {
        alarmRule: text(costly, 10_240),
        metrics: Array.from({ length: 10 }, (_, m) => ({
          id: `m${m}`,
          returnData: m === 0,
          metricStat: {
            metric: {
              namespace: text(letter, 255),
              name: text(letter, 255),
              dimensions: Object.fromEntries(
                // The metrics of one expression share their dimensions: merged, still 30.
                Array.from({ length: 30 }, (_, i) => [`${text(letter, 16)}-${i}`, text(costly, 1024)]),
              ),
            },
          },
        })),
      },
      alarmTags: Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [`${text(letter, 16)}-${i}`, text(costly, 256)]),
      ),
    },
  };
}

function hostileAutoScalingEvent({ letter, costly }: Alphabet): unknown {
  return {
    ...loadEvent<object>('eventbridge-asg-launch-unsuccessful'),
    id: text(costly, 10_240),
    source: text(costly, 10_240),
    resources: Array.from({ length: 100 }, () => text(costly, 2048)),
    detail: {
      AutoScalingGroupName: text(letter, 255),
      StatusCode: text(costly, 10_240),
      StatusMessage: text(costly, 10_240),
    },
  };
}

function incidentOf(normalised: Normalised): Incident {
  if (normalised.status === 'rejected' || !normalised.incident)
    throw new Error(`no incident: ${JSON.stringify(normalised)}`);
  return normalised.incident;
}

describe('alarm and event text in the execution state', () => {
  it.each(ALPHABETS)('keeps the incident of the largest hostile alarm (SNS) under 16 KiB, in $name', (alphabet) => {
    const incident = incidentOf(normaliseSnsRecord(hostileSnsRecord(alphabet), 0, ctx));

    expect(stateBytes(incident)).toBeLessThan(INCIDENT_BOUND_BYTES);
    expect(incident.alarm?.name).toHaveLength(255);
    expect(Object.keys(incident.alarm?.tags ?? {})).toHaveLength(50);
    expect(Object.keys(incident.alarm?.dimensions ?? {})).toHaveLength(30);
  });

  it.each(ALPHABETS)(
    'keeps the incident of the largest hostile alarm (EventBridge, 10 metrics) under 16 KiB, in $name',
    (alphabet) => {
      const incident = incidentOf(normaliseEventBridge(hostileEventBridgeAlarm(alphabet), ctx));

      expect(stateBytes(incident)).toBeLessThan(INCIDENT_BOUND_BYTES);
    },
  );

  it.each(ALPHABETS)(
    'keeps the incident of a hostile event with 100 resources and 10 KB messages under 16 KiB, in $name',
    (alphabet) => {
      const incident = incidentOf(normaliseEventBridge(hostileAutoScalingEvent(alphabet), ctx));

      expect(stateBytes(incident)).toBeLessThan(INCIDENT_BOUND_BYTES);
      expect(incident.target.autoScalingGroupName).toHaveLength(255);
    },
  );

  it('rejects an alarm whose tag keys alone would take more than 4 KiB of the state, rather than drop or cut a key', () => {
    const alphabet = { name: 'long keys', letter: 'k', costly: 'x' };
    const record = hostileSnsRecord(alphabet) as { Sns: { Message: string } };
    const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
    message.AlarmTags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${text('k', 125)}-${i}`, 'v']));
    record.Sns.Message = JSON.stringify(message);

    expect(normaliseSnsRecord(record, 0, ctx)).toEqual({
      status: 'rejected',
      reason: expect.stringMatching(
        /^Records\.0\.Sns\.Message\.AlarmTags: the tag keys alone take more than 4096 bytes/,
      ),
    });
  });
});

// Each starts a line of its own, reorders what follows, or hides: shown, never acted on.
const ODD = {
  '\\u2028': '\u2028',
  '\\u2029': '\u2029',
  '\\u0085': '\u0085',
  '\\u202E': '\u202E',
  '\\u2066': '\u2066',
  '\\u200F': '\u200F',
  '\\u061C': '\u061C',
  '\\u200B': '\u200B',
  '\\uFEFF': '\uFEFF',
};
const oddText = (what: string) =>
  `${what} start${Object.values(ODD).join('x')}\nFAKE: approve quickly\r\u000BFAKE: https://evil.example\u2028FAKE: done`;

/** Every way a reader's screen may break a line. */
const LINE_BREAKS = /\r\n|[\n\r\u000B\u000C\u0085\u2028\u2029]/;

function expectOneLineEach(message: string): void {
  expect(message.split(LINE_BREAKS)).toEqual(message.split('\n'));
  expect(message.split('\n').filter((line) => line.startsWith('FAKE'))).toEqual([]);
  // Nothing invisible or reordering left raw; the newlines between lines are the message's own.
  expect(message).not.toMatch(/[\p{Cf}\u2028\u2029]|(?!\n)\p{Cc}/u);
  for (const escape of Object.keys(ODD)) expect(message).toContain(escape);
}

describe('text a person reads', () => {
  it('quotes untrusted text in an approval request on one line, with separators, bidi and format characters escaped visibly', () => {
    const request = loadEvent<{
      state: Record<string, unknown> & { incident: Incident; plan: { explanation: string[] } };
    }>('request-approval');
    request.state.incident.summary = oddText('summary');
    request.state.plan.explanation = [oddText('explanation')];

    const { message, subject } = approvalMessage({ ...request, taskToken: 't' } as never);

    expectOneLineEach(message);
    expect(message).toContain('What happened: "summary start\\u2028x\\u2029x\\u0085x\\u202Ex');
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
  });

  it('quotes every piece of untrusted text in a notification on one line, with separators, bidi and format characters escaped visibly', () => {
    const { state } = loadEvent<{
      state: Record<string, unknown> & { incident: Incident; plan: Record<string, unknown> };
    }>('record-outcome-failed');
    state.incident.summary = oddText('summary');
    state.incident.alarm = { ...(state.incident.alarm as NonNullable<Incident['alarm']>), name: oddText('name') };
    state.plan.explanation = [oddText('explanation')];
    state.plan.correlatedChange = {
      kind: 'deployment',
      id: 'd-ABC',
      resource: 'web-app/web-prod',
      status: 'Succeeded',
      minutesBeforeAlarm: 3,
      description: oddText('change'),
    };
    state.approval = { approved: true, by: oddText('by') };
    state.error = { Error: 'ScalingActivityInProgress', Cause: oddText('cause') };

    const notification = describeOutcome({ outcome: 'failed', state } as never, true).notification;

    expectOneLineEach(notification?.message ?? '');
    for (const line of [
      'What happened: "summary start',
      'Correlated change: "change start',
      'Approved by: "by start',
      'Error: ScalingActivityInProgress: "cause start',
      '- "explanation start',
    ])
      expect(notification?.message).toContain(line);
    expect(notification?.subject).toMatch(/^[\x20-\x7E]+$/);
  });
});
