import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { type Incident, IncidentSchema } from './incident';

// Who started an execution. Ingest records every incident it starts in the guard table (its id and
// a digest of its content) before StartExecution, and names the execution after the incident; the
// plan step finds both, or the execution was started by hand: anyone with states:StartExecution can pass an incident-shaped input, with
// none of ingest's checks. Such an execution is an operator's, like a manual request: the kernel
// has a human approve what the policy's safety.manualApprovalRequired lists (docs/safety.md).

export type StartedBy = 'ingest' | 'operator';

/** The guard-table item ingest records an incident under. */
export const ingestedKey = (incidentId: string): string => `ingested:${incidentId}`;

/**
 * The incident's content, as both sides read it: parsed by the same schema, keys in a stable order
 * (a redelivered event differs in receivedAt, so one incident id may hold several digests).
 */
export function incidentDigest(incident: Incident): string {
  return createHash('sha256')
    .update(stableStringify(IncidentSchema.parse(incident)))
    .digest('hex');
}
