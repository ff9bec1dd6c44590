import * as z from 'zod';
import { clock } from '../platform/clock';
import { booleanEnv, stackDryRun, stringEnv } from '../platform/env';
import { InvalidInputError } from '../domain/errors';
import { describeIssues } from '../domain/inbound/format';
import { type Incident, IncidentSchema } from '../domain/incident';
import { type ManualRequest, ManualRequestSchema } from '../domain/manual';
import { workflowTask } from '../platform/middleware';
import { DEFAULT_MAX_INCIDENT_AGE_SECONDS, planRemediation } from '../domain/policy/engine';
import { loadDefaultPolicy } from '../domain/policy/load';
import { logger, metrics } from '../platform/powertools';
import type { PlannedState } from '../domain/execution-state';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

// Loaded and validated once per container: a bad policy fails the deployment's first call loudly.
const policy = loadDefaultPolicy();
const shadow = booleanEnv('SHADOW_MODE');
const environment = stringEnv('ENVIRONMENT', '');
const maxIncidentAgeSeconds = Number(stringEnv('MAX_INCIDENT_AGE_SECONDS', String(DEFAULT_MAX_INCIDENT_AGE_SECONDS)));
// Names only the deployed stack knows; an unset one leaves {{platform.*}} unresolved (TargetUnresolved).
const platform = Object.fromEntries(
  Object.entries({ restartServiceDocument: stringEnv('RESTART_SERVICE_DOCUMENT', '') }).filter(
    ([, value]) => value !== '',
  ),
);

export const PlanTaskInputSchema = z.object({
  input: z.unknown(),
  execution: z.object({ name: z.string(), id: z.string(), startTime: z.string() }),
});
export type PlanTaskInput = z.infer<typeof PlanTaskInputSchema>;

function manualIncident(request: ManualRequest, execution: PlanTaskInput['execution']): Incident {
  // arn:aws:states:<region>:<account>:execution:<machine>:<name>
  const [, , , region = '', account = ''] = execution.id.split(':');
  const startedAt = new Date(execution.startTime).toISOString();
  return IncidentSchema.parse({
    id: execution.name,
    source: 'manual',
    summary: `Manual ${request.action.type} by ${request.requestedBy ?? 'an operator'}: ${request.reason}`,
    account,
    region,
    receivedAt: startedAt,
    detectedAt: startedAt,
    dryRun: request.dryRun,
    target: request.target ?? {},
    requestedAction: request.action,
  });
}

/** Accepts an incident from ingest or a manual request; anything else names its bad fields. */
export function toIncident(task: PlanTaskInput): Incident {
  const input = task.input;
  if (input !== null && typeof input === 'object' && 'action' in input && !('id' in input)) {
    const manual = ManualRequestSchema.safeParse(input);
    if (!manual.success) throw new InvalidInputError(`Invalid manual request: ${describeIssues(manual.error)}`);
    return manualIncident(manual.data, task.execution);
  }
  const incident = IncidentSchema.safeParse(input);
  if (!incident.success) throw new InvalidInputError(`Invalid incident: ${describeIssues(incident.error)}`);
  return incident.data;
}

export function planTask(task: PlanTaskInput): PlannedState {
  const incident = toIncident(task);
  logger.appendKeys({ incidentId: incident.id });
  const plan = planRemediation(incident, policy, {
    stackDryRun: stackDryRun(),
    now: clock.now(),
    platform,
    shadow,
    maxIncidentAgeSeconds,
    ...(environment ? { environment } : {}),
  });
  logger.info('Planned remediation', { plan });
  if (plan.decision === 'act') metrics.addMetric('RemediationPlanned', MetricUnit.Count, 1);
  return { incident, plan };
}

export const handler = workflowTask(PlanTaskInputSchema, (task) => Promise.resolve(planTask(task)));
