import type { Context } from 'aws-lambda';
import { assertIsError, InvalidEventError } from '../shared/errors';
import { normaliseEventBridge } from '../shared/inbound/normalise';
import { type IngestResponse, dispatch, ingestContext, reportInvalidEvent } from '../shared/ingest';
import { powertoolsHandler } from '../shared/middleware';

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
