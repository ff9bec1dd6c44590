import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { clock } from '../platform/clock';
import { requiredEnv } from '../platform/env';
import { consumeBudget, budgetSettingsFromEnv, peekBudget } from '../aws/budget-table';
import { type Guard, acquire, guardSettingsFromEnv, release } from '../aws/guard-table';
import { workflowTask } from '../platform/middleware';
import { isMutating } from '../domain/policy/actions';
import { logger, metrics } from '../platform/powertools';
import { PlannedStateSchema, type PlannedState } from '../domain/execution-state';
import { KILL_SWITCH_MAX_AGE_SECONDS } from '../domain/kill-switch';

const pauseParameterName = requiredEnv('PAUSE_PARAMETER_NAME');
const settings = guardSettingsFromEnv();
const budgetSettings = budgetSettingsFromEnv(settings.tableName);

export async function isPaused(): Promise<boolean> {
  const value = await getParameter(pauseParameterName, { maxAge: KILL_SWITCH_MAX_AGE_SECONDS });
  return value?.trim().toLowerCase() === 'true';
}

/** Kill switch, circuit breaker, the target's lock and cooldown, then the fleet-wide budget: the one guard step before acting. */
export async function checkGuardrails(state: PlannedState): Promise<Guard> {
  logger.appendKeys({ incidentId: state.incident.id });
  const action = state.plan.action;
  // Telling a human is never held back: the guardrails are about changing resources.
  if (!action || !isMutating(action.type)) {
    return { decision: 'proceed', lockAcquired: false, detail: 'nothing to guard: the action changes no resource' };
  }
  const killSwitch = async (): Promise<Guard | undefined> => {
    if (!(await isPaused())) return undefined;
    metrics.addMetric('KillSwitchSkips', MetricUnit.Count, 1);
    return {
      decision: 'skip',
      reason: 'Paused',
      lockAcquired: false,
      detail: `kill switch ${pauseParameterName} is on: nothing mutates`,
    };
  };
  const now = clock.now();
  const guard = await acquire(settings, state.incident.id, state.plan, now, killSwitch);
  if (guard.decision === 'skip') {
    logger.info('Guardrails', { guard });
    return guard;
  }
  // Each rung of a ladder is an action of its own; a retried guard call counts the same id once.
  const consumer = `${state.incident.id}#${state.plan.escalation.step}`;
  const budget = state.plan.dryRun
    ? await peekBudget(budgetSettings, consumer, action.type, now)
    : await consumeBudget(budgetSettings, consumer, action.type, now);
  if (!budget.ok) {
    if (guard.lockAcquired)
      await release(settings, state.incident.id, guard, { acted: false, failed: false, cooldownSeconds: 0 }, now);
    metrics.addMetric('BudgetExhausted', MetricUnit.Count, 1);
    const held: Guard = {
      decision: 'skip',
      reason: 'BudgetExhausted',
      ...(guard.targetKey ? { targetKey: guard.targetKey } : {}),
      lockAcquired: false,
      detail: budget.detail,
      budget: { scope: budget.scope, used: budget.used, limit: budget.limit, resetsAt: budget.resetsAt },
    };
    logger.warn('Remediation budget exhausted: notify-only until the window resets', { guard: held });
    return held;
  }
  const passed = { ...guard, detail: `${guard.detail}; ${budget.detail}` };
  logger.info('Guardrails', { guard: passed });
  return passed;
}

export const handler = workflowTask(PlannedStateSchema, checkGuardrails);
