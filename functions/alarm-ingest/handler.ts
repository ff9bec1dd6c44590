import type { Context } from 'aws-lambda';
import { InvalidEventError } from '../domain/errors';
import { describeIssues } from '../domain/inbound/format';
import { SnsEventSchema, normaliseSnsRecord } from '../domain/inbound/normalise';
import { type IngestResponse, type IngestResult, dispatch, ingestContext, reportInvalidEvent } from '../aws/ingest';
import { powertoolsHandler } from '../platform/middleware';

// Not the Powertools parser middleware: one bad record must not fail its batch, so the
// envelope is checked here and each record is validated on its own.
export async function ingestAlarmNotifications(event: unknown, context?: Context): Promise<IngestResponse> {
  const envelope = SnsEventSchema.safeParse(event);
  if (!envelope.success) {
    const reason = `Not an SNS event: ${describeIssues(envelope.error)}`;
    reportInvalidEvent(reason);
    throw new InvalidEventError(reason);
  }
  const ctx = ingestContext(context?.invokedFunctionArn);
  const results: IngestResult[] = [];
  for (const [index, record] of envelope.data.Records.entries()) {
    results.push(await dispatch(normaliseSnsRecord(record, index, ctx), record, 'sns'));
  }
  return { results };
}

export const handler = powertoolsHandler(ingestAlarmNotifications);
