import type { Context } from 'aws-lambda';
import { assertIsError, InvalidEventError } from '../domain/errors';
import { normaliseEventBridge } from '../domain/inbound/normalise';
import { type IngestResponse, dispatch, ingestContext, reportInvalidEvent } from '../aws/ingest';
import { powertoolsHandler } from '../platform/middleware';

// One EventBridge event per invocation: a bad detail is `rejected` (dead-lettered, metric);
// a payload that is not an EventBridge event at all throws InvalidEventError.
export async function ingestEvent(event: unknown, _context?: Context): Promise<IngestResponse> {
  let normalised;
  try {
    normalised = normaliseEventBridge(event, ingestContext());
  } catch (error) {
    assertIsError(error);
    if (error instanceof InvalidEventError) reportInvalidEvent(error.message);
    throw error;
  }
  return { results: [await dispatch(normalised, event, 'eventbridge')] };
}

export const handler = powertoolsHandler(ingestEvent);
