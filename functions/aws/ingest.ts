import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { callAws, toNamedAwsError } from './aws-errors';
import { MAX_EVENT_DEPTH, nestedDeeperThan } from '../domain/inbound/depth';
import { clock } from '../platform/clock';
import { sfn } from './clients/sfn';
import { sqs } from './clients/sqs';
import { wakeWaiters } from './waits';
import { recordIngested } from './provenance';
import { requiredEnv, stackDryRun } from '../platform/env';
import { IncidentSchema } from '../domain/incident';
import type { IngestContext, Normalised } from '../domain/inbound/normalise';
import { logger, metrics } from '../platform/powertools';

export const IngestResultSchema = z.object({
  status: z.enum(['started', 'duplicate', 'ignored', 'rejected']),
  incident: IncidentSchema.optional(),
  executionName: z.string().optional(),
  executionArn: z.string().optional(),
  reason: z.string().optional(),
  /** Executions this event resumed from a wait (progress or recovery). */
  resumed: z.int().optional(),
});
export type IngestResult = z.infer<typeof IngestResultSchema>;
export interface IngestResponse {
  results: IngestResult[];
}

const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
const deadLetterQueueUrl = requiredEnv('DEAD_LETTER_QUEUE_URL');
const guardTableName = requiredEnv('GUARD_TABLE_NAME');

// SQS accepts up to 1 MiB; keep well inside it and say when the copy is cut.
const MAX_DEAD_LETTER_RECORD_CHARS = 200_000;

/** When and where a delivery arrived; `functionArn` (the Lambda context's) names this stack's account and Region. */
export function ingestContext(functionArn?: string, now = clock.now()): IngestContext {
  const [, , , region, account] = functionArn?.split(':') ?? [];
  return {
    receivedAt: now.toISOString(),
    dryRun: stackDryRun(),
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
  };
}

async function deadLetter(received: unknown, reason: string, origin: string): Promise<void> {
  // JSON.stringify recurses: a record nested deeper than any real event is not copied, only named.
  const record = nestedDeeperThan(received) ? `[not copied: nested deeper than ${MAX_EVENT_DEPTH} levels]` : received;
  const serialised = JSON.stringify(record) ?? 'undefined';
  const truncated = serialised.length > MAX_DEAD_LETTER_RECORD_CHARS;
  await callAws('SQS.SendMessage', () =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: JSON.stringify({
          origin,
          reason,
          truncated,
          record: truncated ? serialised.slice(0, MAX_DEAD_LETTER_RECORD_CHARS) : record,
        }),
        MessageAttributes: {
          origin: { DataType: 'String', StringValue: origin },
          reason: { DataType: 'String', StringValue: reason.slice(0, 256) },
        },
      }),
    ),
  );
}

/**
 * Turns one normalised record into one result: starts the execution, reports a redelivery as
 * a duplicate, dead-letters a rejected record. AWS failures other than a duplicate are thrown,
 * so Lambda's async retry runs the whole event again (started records then come back as duplicates).
 */
export async function dispatch(normalised: Normalised, rawRecord: unknown, origin: string): Promise<IngestResult> {
  if (normalised.status === 'rejected') return reject(normalised.reason, rawRecord, origin);
  // The incident first: a failure to wake a waiting execution (retried with the whole event, when
  // the start comes back as a duplicate) must not delay a remediation.
  const result = await startOrIgnore(normalised);
  // Then the executions waiting for this event (an alarm's OK, a deployment or an activity ending).
  const resumed = normalised.wakes?.length
    ? await wakeWaiters(guardTableName, normalised.wakes, describeWake(normalised, origin), clock.now())
    : 0;
  if (resumed > 0) metrics.addMetric('WaitsResumed', MetricUnit.Count, resumed);
  return resumed > 0 ? { ...result, resumed } : result;
}

const describeWake = (normalised: Exclude<Normalised, { status: 'rejected' }>, origin: string) =>
  `${origin}: ${normalised.incident?.summary ?? normalised.wakes?.join(', ') ?? 'event'}`.slice(0, 300);

async function reject(reason: string, rawRecord: unknown, origin: string): Promise<IngestResult> {
  metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
  logger.warn('Rejected inbound record', { reason, origin });
  await deadLetter(rawRecord, reason, origin);
  return { status: 'rejected', reason };
}

async function startOrIgnore(normalised: Exclude<Normalised, { status: 'rejected' }>): Promise<IngestResult> {
  if (normalised.status === 'ignored') {
    metrics.addMetric('EventsIgnored', MetricUnit.Count, 1);
    logger.info('Ignored inbound record', { reason: normalised.reason, incidentId: normalised.incident?.id });
    return {
      status: 'ignored',
      reason: normalised.reason,
      ...(normalised.incident ? { incident: normalised.incident } : {}),
    };
  }
  const { incident } = normalised;
  // Before the execution exists: its plan step finds that ingest, not a person, started it.
  await recordIngested(guardTableName, incident, clock.now());
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: incident.id, input: JSON.stringify(incident) }),
    );
    metrics.addMetric('IncidentsReceived', MetricUnit.Count, 1);
    logger.info('Started remediation', { incidentId: incident.id, summary: incident.summary });
    return { status: 'started', incident, executionName: incident.id, executionArn: started.executionArn };
  } catch (error) {
    // The input always differs on redelivery (receivedAt), so Step Functions answers
    // ExecutionAlreadyExists whether the first execution is still running or closed.
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      metrics.addMetric('DuplicateIncidents', MetricUnit.Count, 1);
      logger.info('Duplicate delivery', { incidentId: incident.id });
      return {
        status: 'duplicate',
        incident,
        executionName: incident.id,
        reason: 'an execution with this name already exists',
      };
    }
    throw toNamedAwsError(error, 'SFN.StartExecution');
  }
}

export function reportInvalidEvent(reason: string): void {
  metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
  logger.error('Unusable inbound event', { reason });
}
