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
  targetKey: z.string().optional(),
  lockAcquired: z.boolean(),
  /** Who holds the lock: the execution's name (an incident re-run by hand is another execution). */
  owner: z.string().optional(),
  detail: z.string(),
  /** The budget counters this action was counted in (given back when it changes nothing). */
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
