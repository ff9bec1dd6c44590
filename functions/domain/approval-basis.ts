import * as z from 'zod';

/** What a human saw when they approved a change: the safety kernel holds the call to it. */
export const ApprovalBasisSchema = z.object({
  /** The capacity change, from → to. */
  capacity: z.object({ from: z.int(), to: z.int() }).optional(),
  /** Disruptions other executions had in flight, per Auto Scaling group. */
  inFlight: z.record(z.string(), z.int()).default({}),
  /** Targets the platform could not see (not in an Auto Scaling group, not a managed instance). */
  unseen: z.array(z.string()).default([]),
});
export type ApprovalBasis = z.infer<typeof ApprovalBasisSchema>;
