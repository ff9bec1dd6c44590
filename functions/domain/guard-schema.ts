import * as z from 'zod';

// The guard step's result, apart from guard.ts so that reading it does not bundle the DynamoDB client.
export const GuardSkipReasonSchema = z.enum(['Paused', 'InProgress', 'Cooldown', 'CircuitOpen', 'BudgetExhausted']);
export type GuardSkipReason = z.infer<typeof GuardSkipReasonSchema>;

export const GuardSchema = z.object({
  decision: z.enum(['proceed', 'skip']),
  reason: GuardSkipReasonSchema.optional(),
  targetKey: z.string().optional(),
  lockAcquired: z.boolean(),
  detail: z.string(),
  /** Set when the remediation budget held the action back. */
  budget: z.object({ scope: z.string(), used: z.int(), limit: z.int(), resetsAt: z.iso.datetime() }).optional(),
});
export type Guard = z.infer<typeof GuardSchema>;
