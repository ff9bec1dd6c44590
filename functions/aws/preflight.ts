import { assertStillActionable } from './alarms';
import { guardSettingsFromEnv, recordIntent } from './guard-table';
import { killSwitchOn } from './kill-switch';
import { LockLost, Paused } from '../domain/errors';
import type { PlannedState } from '../domain/execution-state';
import type { Guard } from '../domain/guard-schema';
import { afterChangeSeconds } from '../domain/guardrails';
import { clock } from '../platform/clock';
import { requiredEnv } from '../platform/env';

// The checks right before every mutating call, made again on every retry of it: everything that
// can change while an execution waits (for approval, a retry, a concurrency slot) is read anew.
//   1. the kill switch, uncached                          → Paused
//   2. the incident: not too old, its alarm not back to OK → Stale, AlreadyRecovered
//   3. the target's own state (the action's read)          → the action decides
//   4. the lock still held by this execution, and the change recorded as started → LockLost
// 1–3 are read together (one round trip); 4 is one conditional write, made only when a call follows.

const pauseParameterName = requiredEnv('PAUSE_PARAMETER_NAME');
const guardSettings = guardSettingsFromEnv();

export type ChangeTask = PlannedState & { guard?: Guard | undefined };

/** Checks 1–3. The kill switch's verdict wins, then the incident's; then the read's own error. */
export async function beforeChange<T>(task: ChangeTask, read: () => Promise<T>): Promise<{ fresh: string; found: T }> {
  const now = clock.now();
  const [paused, fresh, found] = await Promise.allSettled([
    killSwitchOn(pauseParameterName, now),
    assertStillActionable(task, now),
    read(),
  ]);
  if (paused.status === 'rejected') throw paused.reason as Error;
  if (paused.value)
    throw new Paused(`kill switch ${pauseParameterName} is on: not changing anything for ${task.incident.id}`);
  if (fresh.status === 'rejected') throw fresh.reason as Error;
  if (found.status === 'rejected') throw found.reason as Error;
  return { fresh: fresh.value, found: found.value };
}

/** Check 4, right before the call: this execution's lock still holds, and the change is recorded as started. */
export async function claimChange(task: ChangeTask, operation: string): Promise<void> {
  const guard = task.guard;
  if (!guard?.lockAcquired || !guard.targetKey)
    throw new LockLost(`${task.incident.id} holds no lock on its target: not calling ${operation}`);
  const owner = guard.owner ?? task.incident.id;
  await recordIntent(guardSettings, owner, guard.targetKey, operation, clock.now(), afterChangeSeconds(task.plan));
}
