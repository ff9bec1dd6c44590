import type { CallRecord } from './sandbox/server';
import type { WorkflowRun } from './workflow';

// What one incident costs on AWS, from what the local engine counted. us-east-1 list prices
// (November 2026), free tiers ignored.
export const PRICES = {
  /** Step Functions Standard: $0.025 per 1,000 state transitions. */
  stateTransition: 0.025 / 1000,
  /** Lambda requests: $0.20 per million. */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda duration on arm64 (the template's architecture): $0.0000133334 per GB-second. */
  lambdaGbSecondArm64: 0.0000133334,
} as const;

export interface IncidentCost {
  /** States entered plus retries: what Standard workflows bill. */
  transitions: number;
  /** The workflow's Task invocations plus the ingest function's invocation that started it. */
  lambdaInvocations: number;
  /** Billed Lambda milliseconds (each invocation rounded up to 1 ms) of the workflow's Tasks. */
  lambdaBilledMs: number;
  usd: number;
}

export function incidentCost(run: WorkflowRun, memoryMb: number, ingestInvocations: number): IncidentCost {
  const transitions = run.states.length + run.retries.length;
  const lambdaInvocations = run.invocations.length + ingestInvocations;
  const lambdaBilledMs = run.invocations.reduce((sum, i) => sum + Math.max(1, Math.ceil(i.ms)), 0);
  const usd =
    transitions * PRICES.stateTransition +
    lambdaInvocations * PRICES.lambdaRequest +
    (lambdaBilledMs / 1000) * (memoryMb / 1024) * PRICES.lambdaGbSecondArm64;
  return { transitions, lambdaInvocations, lambdaBilledMs, usd };
}

/** Real ms a state was occupied, summed over its entries (StateEntered → StateExited/StateFailed). */
function msInState(run: WorkflowRun, state: string): number {
  let total = 0;
  let enteredAt: number | undefined;
  for (const event of run.events) {
    if (event.state?.name !== state) continue;
    if (event.type === 'StateEntered') enteredAt = event.timestamp;
    else if ((event.type === 'StateExited' || event.type === 'StateFailed') && enteredAt !== undefined) {
      total += event.timestamp - enteredAt;
      enteredAt = undefined;
    }
  }
  return total;
}

/**
 * Local reaction time: from the event's injection to the incident's first mutating call at the
 * sandbox, in real ms, less the time a human took to approve (a simulated wait, not the engine's).
 * Only for an incident that applied its action (`incidentCalls` may hold other incidents' calls on the same target).
 */
export function reactionMs(injectedAtMs: number, incidentCalls: CallRecord[], run: WorkflowRun): number | undefined {
  const firstMutation = incidentCalls.find((c) => c.mutating && c.outcome === 'ok' && c.wallMs >= injectedAtMs);
  if (!firstMutation) return undefined;
  const approvalLambdaMs = run.invocations
    .filter((i) => i.state === 'Request Approval')
    .reduce((sum, i) => sum + i.ms, 0);
  const waitingForHuman = Math.max(0, msInState(run, 'Request Approval') - approvalLambdaMs);
  return firstMutation.wallMs - injectedAtMs - waitingForHuman;
}

/** The states whose Task makes an action's first mutating call. */
const FIRST_CHANGE_STATES = new Set(['Apply Auto Scaling Action', 'Apply Rollback', 'Start Automation']);

/**
 * The distinct functions an incident runs between its event and its first mutating call: on an
 * idle night each of them starts cold. `functionOf` maps a Task state to its function.
 */
export function functionsToFirstChange(
  run: WorkflowRun,
  ingestFunction: string | undefined,
  functionOf: (state: string) => string | undefined,
): string[] | undefined {
  const states = run.states;
  const apply = states.findIndex((s) => FIRST_CHANGE_STATES.has(s));
  if (apply < 0) return undefined;
  const functions = states
    .slice(0, apply + 1)
    .map(functionOf)
    .filter((f): f is string => f !== undefined);
  return [...new Set([...(ingestFunction ? [ingestFunction] : []), ...functions])];
}
