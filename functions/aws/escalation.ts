import * as z from 'zod';
import type { GuardSettings } from './guard-table';
import { releaseRung } from './release';
import { forgetWaits } from './waits';
import { allWaitKeys } from '../domain/wake';
import { type ClimbedState, ClimbInputSchema, climb } from '../domain/escalation';
import { GuardSchema } from '../domain/guard-schema';
import { stepMetrics } from '../domain/outcome';
import { emitMetricRecords, logger } from '../platform/powertools';

// Shared by the Escalate step and by Record Outcome, through which executions started by an
// earlier definition of the workflow (before Escalate To Next Step existed) still climb.

export const EscalateInputSchema = z.object({
  state: ClimbInputSchema.extend({ guard: GuardSchema.optional() }).loose(),
});
export type EscalateInput = z.infer<typeof EscalateInputSchema>;

/** A rung of the ladder is over without OK: its lock becomes a cooldown, its outcome a metric, and the plan moves up a rung. */
export async function escalateRung(
  guardSettings: GuardSettings,
  { state }: EscalateInput,
  now: Date,
): Promise<ClimbedState> {
  logger.appendKeys({ incidentId: state.incident.id });
  const acted = state.applied?.applied === true;
  // The rung is over: its locks become cooldowns, its blast-radius slots free, an unspent budget refunded.
  const released = await releaseRung(
    guardSettings,
    state.guard?.owner ?? state.incident.id,
    { guard: state.guard, action: state.plan.action, applied: acted },
    { failed: acted, cooldownSeconds: state.plan.cooldownSeconds },
    now,
  );
  // The rung's waits are over (the next rung waits on its own action).
  if (state.guard?.owner && state.applied)
    await forgetWaits(guardSettings.tableName, allWaitKeys(state), state.guard.owner);
  const { left, next } = climb(state, now);
  emitMetricRecords(stepMetrics(left));
  logger.info('Escalating to the next step', { left, next: next.plan.action, released });
  return next;
}
