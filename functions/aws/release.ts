import { refundBudget } from './budget-table';
import { releaseClaimedDisruption } from './disruption';
import { type GuardSettings, release } from './guard-table';
import type { Guard, Release } from '../domain/guard-schema';
import type { Action } from '../domain/policy/actions';
import { targetKeysOf } from '../domain/targets';

// Every exit of a rung ends here (Record Outcome, Escalate): whatever this execution took for it is
// given back or turned into what it owes — each lock becomes a cooldown (or is dropped when nothing
// changed), the blast-radius slots of its change are freed, and the budget is refunded when no
// change went out. Whatever the guard step's result says: a guard attempt that took a lock and then
// timed out, followed by an attempt that answered Paused, left a lock the state does not mention.

export async function releaseRung(
  settings: GuardSettings,
  owner: string,
  state: { guard?: Guard | undefined; action?: Action | undefined; applied: boolean },
  outcome: { failed: boolean; cooldownSeconds: number },
  now: Date,
): Promise<Release | undefined> {
  const held = state.guard?.lockAcquired
    ? (state.guard.targetKeys ?? (state.guard.targetKey ? [state.guard.targetKey] : []))
    : [];
  // The action's own targets too: each release is conditional on this execution holding that lock, in progress.
  const keys = [...new Set([...held, ...(state.action ? targetKeysOf(state.action) : [])])].sort();
  if (keys.length === 0) return undefined;
  const released = await release(
    settings,
    owner,
    { lockAcquired: true, targetKeys: keys },
    { acted: state.applied, failed: outcome.failed, cooldownSeconds: outcome.cooldownSeconds },
    now,
  );
  const { claim, ...result } = released;
  await releaseClaimedDisruption(settings.tableName, claim?.disruption);
  // Budget is spent by changes only: a claim whose call never went out (or AWS refused) gives it back.
  const changed = state.applied || result.changeStarted !== undefined;
  const counted = claim?.budget ?? state.guard?.budgetCounted;
  if (!changed && counted) await refundBudget(settings.tableName, counted);
  // Nothing was held (a skip before any lock, a lock another execution holds): nothing to report.
  return state.guard?.lockAcquired || result.released ? result : undefined;
}
