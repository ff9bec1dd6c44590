import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { budgetSettingsFromEnv, peekBudget } from '../aws/budget-table';
import { acquire, guardSettingsFromEnv, release } from '../aws/guard-table';
import * as z from 'zod';
import { PlannedStateSchema } from '../domain/execution-state';
import type { Guard } from '../domain/guard-schema';
import { type GuardPorts, evaluateGuard } from '../domain/guardrails';
import { KILL_SWITCH_MAX_AGE_SECONDS } from '../domain/kill-switch';
import { killSwitchOn } from '../aws/kill-switch';
import { clock } from '../platform/clock';
import { requiredEnv } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger, metrics } from '../platform/powertools';
import { type PlanTaskInput, planStep } from '../plan/step';
import { isPlanStep } from '../domain/manual';
import type { Context } from 'aws-lambda';

const pauseParameterName = requiredEnv('PAUSE_PARAMETER_NAME');
const settings = guardSettingsFromEnv();
const budgetSettings = budgetSettingsFromEnv(settings.tableName);

export const GuardInputSchema = PlannedStateSchema.extend({
  /** The execution's name ($$.Execution.Name): who holds the lock. */
  execution: z.string().optional(),
});
export type GuardInput = z.infer<typeof GuardInputSchema>;

export function isPaused(): Promise<boolean> {
  return killSwitchOn(pauseParameterName, clock.now(), KILL_SWITCH_MAX_AGE_SECONDS);
}

/** The guard's rules (domain/guardrails.ts) over the kill-switch parameter and the guard table. */
function portsFor(state: GuardInput, now: Date): GuardPorts {
  const { incident, plan } = state;
  // The lock is the execution's: an incident re-run by hand is another execution and waits its turn.
  const owner = state.execution ?? incident.id;
  // Each rung of a ladder is an action of its own (the call takes its budget under the same id).
  const consumer = `${owner}#${plan.escalation.step}`;
  const actionType = plan.action?.type ?? 'notify';
  return {
    killSwitchName: pauseParameterName,
    killSwitchOn: isPaused,
    lockTarget: (precheck) => acquire(settings, owner, plan, now, precheck),
    peekBudget: () => peekBudget(budgetSettings, consumer, actionType, now),
    releaseUnused: async (guard) => {
      await release(settings, owner, guard, { acted: false, failed: false, cooldownSeconds: 0 }, now);
    },
  };
}

/** Kill switch, circuit breaker, the target's lock and cooldown, then the fleet-wide budget: the one guard step before acting. */
export async function checkGuardrails(state: GuardInput): Promise<Guard> {
  logger.appendKeys({ incidentId: state.incident.id });
  const guard = await evaluateGuard(state.plan.action, portsFor(state, clock.now()));
  if (guard.reason === 'Paused') metrics.addMetric('KillSwitchSkips', MetricUnit.Count, 1);
  if (guard.reason === 'BudgetExhausted') {
    metrics.addMetric('BudgetExhausted', MetricUnit.Count, 1);
    logger.warn('Remediation budget exhausted: notify-only until the window resets', { guard });
  } else {
    logger.info('Guardrails', { guard });
  }
  return guard;
}

const guardStep = workflowTask(GuardInputSchema, checkGuardrails);

/**
 * One function for both steps before an action: the plan needs no permission, so hosting it here widens no
 * role and leaves one cold start fewer between an alarm and its first change (docs/performance.md).
 */
export function handler(event: unknown, context: Context) {
  // Each pipeline's parser validates the event against its own schema.
  return isPlanStep(event) ? planStep(event as PlanTaskInput, context) : guardStep(event as GuardInput, context);
}
