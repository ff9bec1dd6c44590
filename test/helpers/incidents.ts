import { normaliseEventBridge, normaliseSnsRecord } from '../../functions/domain/inbound/normalise';
import type { Incident } from '../../functions/domain/incident';
import { loadEvent } from './fixtures';

const ctx = { receivedAt: '2026-11-23T10:15:32.000Z', dryRun: false };

/** The incident ingest makes of an events/ fixture (first record). */
export function incidentFrom(fixture: string): Incident {
  const event = loadEvent<{ Records?: unknown[] }>(fixture);
  const normalised = event.Records ? normaliseSnsRecord(event.Records[0], 0, ctx) : normaliseEventBridge(event, ctx);
  if (normalised.status === 'rejected' || !('incident' in normalised) || !normalised.incident) {
    throw new Error(`${fixture} does not normalise to an incident`);
  }
  return normalised.incident;
}
