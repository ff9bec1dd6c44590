import { clock } from '../platform/clock';
import { booleanEnv, requiredEnv, stackDryRun, stringEnv } from '../platform/env';
import { type PlanTaskInput, PlanTaskInputSchema, toIncident } from '../domain/manual';
import { workflowTask } from '../platform/middleware';
import { DEFAULT_MAX_INCIDENT_AGE_SECONDS, planRemediation } from '../domain/policy/engine';
import { loadDefaultPolicy } from '../domain/policy/load';
import { logger, metrics } from '../platform/powertools';
import { startedBy } from '../aws/provenance';
import type { PlannedState } from '../domain/execution-state';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

// Loaded and validated once per container: a bad policy fails the deployment's first call loudly.
const policy = loadDefaultPolicy();
const shadow = booleanEnv('SHADOW_MODE');
const environment = stringEnv('ENVIRONMENT', '');
const guardTableName = requiredEnv('GUARD_TABLE_NAME');
const maxIncidentAgeSeconds = Number(stringEnv('MAX_INCIDENT_AGE_SECONDS', String(DEFAULT_MAX_INCIDENT_AGE_SECONDS)));
// Names only the deployed stack knows; an unset one leaves {{platform.*}} unresolved (TargetUnresolved).
const platform = Object.fromEntries(
  Object.entries({ restartServiceDocument: stringEnv('RESTART_SERVICE_DOCUMENT', '') }).filter(
    ([, value]) => value !== '',
  ),
);

export { PlanTaskInputSchema, type PlanTaskInput };

export async function planTask(task: PlanTaskInput): Promise<PlannedState> {
  const incident = toIncident(task);
  logger.appendKeys({ incidentId: incident.id });
  const plan = planRemediation(incident, policy, {
    startedBy: await startedBy(guardTableName, incident, task.execution.name),
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

/** The plan step's pipeline. It runs in GuardFunction (functions/guard/handler.ts): it needs no permission of its own. */
export const planStep = workflowTask(PlanTaskInputSchema, planTask);
