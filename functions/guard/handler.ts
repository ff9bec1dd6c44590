import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { clock } from '../shared/clock';
import { requiredEnv } from '../shared/env';
import { type Guard, acquire, guardSettingsFromEnv } from '../shared/guard';
import { workflowTask } from '../shared/middleware';
import { isMutating } from '../shared/policy/actions';
import { logger, metrics } from '../shared/powertools';
import { PlannedStateSchema, type PlannedState } from '../shared/workflow';

const pauseParameterName = requiredEnv('PAUSE_PARAMETER_NAME');
const settings = guardSettingsFromEnv();
// The kill switch is read at most once a minute per container: flipping it takes effect within 60 s.
const KILL_SWITCH_MAX_AGE_SECONDS = 60;

export async function isPaused(): Promise<boolean> {
  const value = await getParameter(pauseParameterName, { maxAge: KILL_SWITCH_MAX_AGE_SECONDS });
  return value?.trim().toLowerCase() === 'true';
}

/** Kill switch, circuit breaker, then the target's lock and cooldown: the one guard step before acting. */
export async function checkGuardrails(state: PlannedState): Promise<Guard> {
  logger.appendKeys({ incidentId: state.incident.id });
  const action = state.plan.action;
  // Telling a human is never held back: the guardrails are about changing resources.
  if (!action || !isMutating(action.type)) {
    return { decision: 'proceed', lockAcquired: false, detail: 'nothing to guard: the action changes no resource' };
  }
  if (await isPaused()) {
    metrics.addMetric('KillSwitchSkips', MetricUnit.Count, 1);
    return { decision: 'skip', reason: 'Paused', lockAcquired: false, detail: `kill switch ${pauseParameterName} is on: nothing mutates` };
  }
  const guard = await acquire(settings, state.incident.id, state.plan, clock.now());
  logger.info('Guardrails', { guard });
  return guard;
}

export const handler = workflowTask(PlannedStateSchema, checkGuardrails);
