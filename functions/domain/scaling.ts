import * as z from 'zod';
import { ApprovalBasisSchema } from './approval-basis';
import { SkipReasonSchema } from './execution-state';

/** What every prepare step records: the change the safety kernel would make now, and whether a human approves it first. */
export const PreparedChangeSchema = z.object({
  status: z.enum(['ready', 'noop']),
  reason: SkipReasonSchema.optional(),
  description: z.string(),
  /** A human approves this change before it is made (the plan, the capacity threshold, the blast radius, an unseen target). */
  approvalRequired: z.boolean().default(false),
  approvalReason: z.string().optional(),
  /** Names this very change: the workflow binds an approval to it. */
  key: z.string().default(''),
  basis: ApprovalBasisSchema.default({ inFlight: {}, unseen: [] }),
});

/** An Auto Scaling change as prepared: the group (or the instance it replaces) and the capacity before and after. */
export const PreparedAutoScalingSchema = PreparedChangeSchema.extend({
  autoScalingGroupName: z.string(),
  currentDesiredCapacity: z.int(),
  desiredCapacity: z.int(),
  instanceId: z.string().optional(),
});
export type PreparedAutoScaling = z.infer<typeof PreparedAutoScalingSchema>;
