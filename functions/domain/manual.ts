import * as z from 'zod';
import { TargetSchema } from './incident';
import { ActionSchema } from './policy/actions';

/** What an operator passes to a manual execution (see README "Manual executions"). */
export const ManualRequestSchema = z
  .object({
    action: ActionSchema,
    reason: z.string().min(1).describe('Why the operator started this: kept in the audit trail'),
    requestedBy: z.string().optional(),
    dryRun: z.boolean().default(false),
    target: TargetSchema.optional(),
  })
  .strict();
export type ManualRequest = z.infer<typeof ManualRequestSchema>;
