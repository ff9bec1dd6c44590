import type { Context } from 'aws-lambda';
import { assertIsError, InvalidEventError } from '../domain/errors';
import { MAX_EVENT_DEPTH, nestedDeeperThan } from '../domain/inbound/depth';
import { normaliseEventBridge } from '../domain/inbound/normalise';
import { type IngestResponse, dispatch, ingestContext, reportInvalidEvent } from '../aws/ingest';
import { powertoolsHandler } from '../platform/middleware';

// One EventBridge event per invocation: a bad detail is `rejected` (dead-lettered, metric);
// a payload that is not an EventBridge event at all throws InvalidEventError.
export async function ingestEvent(event: unknown, context?: Context): Promise<IngestResponse> {
  if (nestedDeeperThan(event)) {
    const reason = `Not an EventBridge event: nested deeper than ${MAX_EVENT_DEPTH} levels`;
    reportInvalidEvent(reason);
    return { results: [await dispatch({ status: 'rejected', reason }, event, 'eventbridge')] };
  }
  let normalised;
  try {
    normalised = normaliseEventBridge(event, ingestContext(context?.invokedFunctionArn));
  } catch (error) {
    assertIsError(error);
    if (error instanceof InvalidEventError) reportInvalidEvent(error.message);
    throw error;
  }
  return { results: [await dispatch(normalised, event, 'eventbridge')] };
}

export const handler = powertoolsHandler(ingestEvent);
