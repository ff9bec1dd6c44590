import * as z from 'zod';
import { ExecutionStateSchema, type Watch } from './execution-state';

// What the workflow waits for, and which events end the wait. A wait is keyed by the thing waited
// for; an event names the keys it wakes. The keys are built here only, on both sides, so a wait and
// its event always agree. Events are hints: every wake is followed by a read of the real state.

export const WaitPhaseSchema = z.enum(['progress', 'recovery']);
export type WaitPhase = z.infer<typeof WaitPhaseSchema>;

/** The part of the execution's state a wait reads (validated at the Await task's boundary). */
export const WaitStateSchema = ExecutionStateSchema.pick({
  incident: true,
  applied: true,
  progress: true,
  verification: true,
}).loose();
/** What the wait functions read of any state (the Await task's, or a recording step's). */
export interface WaitView {
  incident?: { alarm?: { name: string } | undefined };
  applied?: { watch: Watch; appliedAt?: string } | undefined;
  progress?: { watch: Watch; checkedAt?: string | undefined } | undefined;
  verification?: { checkedAt?: string | undefined } | undefined;
}

export const waitKey = {
  alarm: (name: string) => `alarm:${name}`,
  group: (name: string) => `group:${name}`,
  deployment: (id: string) => `deployment:${id}`,
  automation: (id: string) => `automation:${id}`,
};

function watchKeys(watch: Watch | undefined): string[] {
  switch (watch?.kind) {
    case 'auto-scaling-group':
      return [waitKey.group(watch.autoScalingGroupName)];
    case 'deployment':
      return [waitKey.deployment(watch.deploymentId)];
    case 'automation':
      return [waitKey.automation(watch.executionId)];
    default:
      return [];
  }
}

/** The keys an execution waits on in a phase: what its action started, or its alarm's recovery. */
export function waitKeysFor(state: WaitView, phase: WaitPhase): string[] {
  if (phase === 'recovery') return state.incident?.alarm ? [waitKey.alarm(state.incident.alarm.name)] : [];
  return watchKeys(state.progress?.watch ?? state.applied?.watch);
}

/** Every key the execution may have waited on (cleaned up when it records its outcome). */
export const allWaitKeys = (state: WaitView): string[] => [
  ...new Set([...waitKeysFor(state, 'progress'), ...waitKeysFor(state, 'recovery')]),
];

/**
 * The last time the execution read the real state before this wait: an event after it may not have
 * been seen yet, so it ends the wait at once (the event can arrive before the wait is registered).
 */
export function lastReadAt(state: WaitView, phase: WaitPhase): string | undefined {
  const progressRead = state.progress?.checkedAt ?? state.applied?.appliedAt;
  return phase === 'progress' ? progressRead : (state.verification?.checkedAt ?? progressRead);
}

/** The answer a woken wait returns to the workflow (kept at $.woken, shown in the history). */
export interface Wake {
  by: string;
  at: string;
}

/** Only a return to OK ends a recovery wait. */
export const wakesForAlarm = (name: string, state: string) => (state === 'OK' ? [waitKey.alarm(name)] : []);
