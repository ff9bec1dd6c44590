import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import type { Incident } from '../domain/incident';
import { type StartedBy, incidentDigest, ingestedKey } from '../domain/provenance';

// The guard-table record of what ingest started (domain/provenance.ts): written before the
// StartExecution, read by the plan step. Only ingest's role writes it.

const KEPT_SECONDS = 7 * 24 * 3600;

/** Ingest: this incident, with this content, is one it checked and starts. */
export async function recordIngested(tableName: string, incident: Incident, now: Date): Promise<void> {
  await callAws('DynamoDB.UpdateItem', () =>
    dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { target: ingestedKey(incident.id) },
        UpdateExpression: 'ADD digests :digest SET expiresAt = :ttl',
        ExpressionAttributeValues: {
          ':digest': new Set([incidentDigest(incident)]),
          ':ttl': Math.floor(now.getTime() / 1000) + KEPT_SECONDS,
        },
      }),
    ),
  );
}

/**
 * The plan step: ingest started this execution of the incident, as it reads now, or someone started
 * it by hand. Ingest names every execution after its incident: a recorded incident started under
 * another name (a re-run) is a person's, however faithfully its input was copied.
 */
export async function startedBy(tableName: string, incident: Incident, executionName: string): Promise<StartedBy> {
  if (incident.source === 'manual' || executionName !== incident.id) return 'operator';
  const out = await callAws('DynamoDB.GetItem', () =>
    dynamoDb.send(
      new GetCommand({ TableName: tableName, Key: { target: ingestedKey(incident.id) }, ConsistentRead: true }),
    ),
  );
  const digests = out.Item?.digests as Set<string> | undefined;
  return digests?.has(incidentDigest(incident)) ? 'ingest' : 'operator';
}
