import * as z from 'zod';

// The guard step's result and a lock's release, apart from the guard table (aws/guard-table.ts) so
// that reading them does not bundle the DynamoDB client.
export const GuardSkipReasonSchema = z.enum([
  'Paused',
  'InProgress',
  'Cooldown',
  'CircuitOpen',
  'BudgetExhausted',
  'HeldForReview',
]);
export type GuardSkipReason = z.infer<typeof GuardSkipReasonSchema>;

export const GuardSchema = z.object({
  decision: z.enum(['proceed', 'skip']),
  reason: GuardSkipReasonSchema.optional(),
  /** The first of `targetKeys` (the workflow's own DynamoDB steps read it). */
  targetKey: z.string().optional(),
  /** Every physical target the action changes, sorted: all locked, or none (domain/targets.ts). */
  targetKeys: z.array(z.string()).optional(),
  lockAcquired: z.boolean(),
  /** How many times this rung's change was prepared (the workflow counts; the kernel sends it back to a human at most so often). */
  round: z.object({ n: z.int().min(0) }).optional(),
  /** The prepared change a human approved (its key), written by the workflow when the answer is yes. */
  approved: z.object({ key: z.string() }).optional(),
  /** Who holds the lock: the execution's name (an incident re-run by hand is another execution). */
  owner: z.string().optional(),
  detail: z.string(),
  /** The budget counters this action was counted in by a workflow from before the budget was taken at the call. */
  budgetCounted: z.object({ keys: z.array(z.string()), consumer: z.string() }).optional(),
  /** Set when the remediation budget held the action back. */
  budget: z.object({ scope: z.string(), used: z.int(), limit: z.int(), resetsAt: z.iso.datetime() }).optional(),
});
export type Guard = z.infer<typeof GuardSchema>;

/** What releasing a target's lock did. */
export interface Release {
  released: boolean;
  circuitOpened: boolean;
  detail: string;
  /** The call this execution recorded as started although its task did not report it (it failed after, or during, the call). */
  changeStarted?: string;
}

/** The keys a guard result locked (a state from before runbooks took one key per instance has one). */
export const lockKeysOf = (guard: Pick<Guard, 'targetKey' | 'targetKeys'>): string[] =>
  guard.targetKeys ?? (guard.targetKey ? [guard.targetKey] : []);
