import { describe, expect, it } from '@jest/globals';
import { JSONStringified as PowertoolsJSONStringified } from '@aws-lambda-powertools/parser/helpers';
import {
  EventBridgeSchema as PowertoolsEventBridge,
  SnsRecordSchema as PowertoolsSnsRecord,
} from '@aws-lambda-powertools/parser/schemas';
import * as z from 'zod';
import { EventBridgeSchema, JSONStringified, SnsRecordSchema } from '../../functions/domain/inbound/envelopes';
import { loadEvent } from '../helpers/fixtures';

// The hand-copied envelopes (copied to keep zod tree-shakable) must judge exactly as Powertools' do.
const verdict = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, data: result.data }
    : { ok: false, issues: result.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`) };
};

const snsRecord = (loadEvent<{ Records: Record<string, unknown>[] }>('sns-alarm-cpu-high').Records[0] ?? {}) as {
  Sns: Record<string, unknown>;
};
const event = loadEvent<Record<string, unknown>>('eventbridge-alarm-state-change');

describe('ingest envelopes', () => {
  it.each([
    ['a good record', snsRecord],
    ['no Sns', { ...snsRecord, Sns: undefined }],
    ['a bad Timestamp', { ...snsRecord, Sns: { ...snsRecord.Sns, Timestamp: 'yesterday' } }],
    ['a bad UnsubscribeUrl', { ...snsRecord, Sns: { ...snsRecord.Sns, UnsubscribeUrl: 'not a url' } }],
    ['another EventSource', { ...snsRecord, EventSource: 'aws:sqs' }],
    ['a SubscriptionConfirmation', { ...snsRecord, Sns: { ...snsRecord.Sns, Type: 'SubscriptionConfirmation' } }],
  ])('judge an SNS record with %s as Powertools does', (_name, record) => {
    expect(verdict(SnsRecordSchema, record)).toEqual(verdict(PowertoolsSnsRecord, record));
  });

  it.each([
    ['a good event', event],
    ['no detail-type', { ...event, 'detail-type': undefined }],
    ['a bad time', { ...event, time: 'now' }],
    ['resources not a list', { ...event, resources: 'arn' }],
    ['a replay name', { ...event, 'replay-name': 'replay-1' }],
  ])('judge an EventBridge event with %s as Powertools does', (_name, value) => {
    expect(verdict(EventBridgeSchema, value)).toEqual(verdict(PowertoolsEventBridge, value));
  });

  it.each([['{"a":1}'], ['{not json'], ['"text"'], ['42']])(
    'parse JSON strings as Powertools JSONStringified does: %s',
    (text) => {
      const inner = z.object({ a: z.number() });
      expect(verdict(JSONStringified(inner), text)).toEqual(verdict(PowertoolsJSONStringified(inner), text));
    },
  );
});
