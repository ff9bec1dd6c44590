import * as z from 'zod';
import { IncidentSourceSchema } from '../incident';
import { ActionSchema, ActionTypeSchema } from './actions';

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** A value matcher: exact string, any of a list, `{ prefix }` or `{ pattern }` (a JavaScript regular expression). */
export const StringMatcherSchema = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  z.object({ prefix: z.string().min(1) }).strict(),
  z.object({ pattern: z.string().min(1).refine(isValidRegex, 'must be a valid regular expression') }).strict(),
]);
export type StringMatcher = z.infer<typeof StringMatcherSchema>;

/** For dimensions and tags: a value matcher, or `{ exists: true|false }`. */
export const KeyMatcherSchema = z.union([StringMatcherSchema, z.object({ exists: z.boolean() }).strict()]);
export type KeyMatcher = z.infer<typeof KeyMatcherSchema>;

export const MatchSchema = z
  .object({
    source: z.union([IncidentSourceSchema, z.array(IncidentSourceSchema).min(1)]).optional(),
    alarmName: StringMatcherSchema.optional(),
    namespace: StringMatcherSchema.optional(),
    metricName: StringMatcherSchema.optional(),
    dimensions: z.record(z.string().min(1), KeyMatcherSchema).optional(),
    alarmTags: z.record(z.string().min(1), KeyMatcherSchema).optional(),
    event: z
      .object({
        source: StringMatcherSchema.optional(),
        detailType: StringMatcherSchema.optional(),
        state: StringMatcherSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Match = z.infer<typeof MatchSchema>;

const LoopSchema = (interval: number, timeout: number) =>
  z
    .object({
      intervalSeconds: z.int().min(1).max(3600).default(interval),
      timeoutSeconds: z.int().min(1).max(86_400).default(timeout),
    })
    .strict();

export const TrustAlarmTagsSchema = z
  .object({
    allowedActions: z.array(ActionTypeSchema).min(1),
    maxStep: z.int().min(1).max(1000).default(2).describe('Largest selfhealing:step accepted from a tag'),
    maxCapacity: z.int().min(0).optional().describe('Capacity cap applied to scale-out actions built from tags'),
  })
  .strict();

export const RuleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be kebab-case, at most 63 characters'),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    match: MatchSchema,
    action: ActionSchema,
    trustAlarmTags: TrustAlarmTagsSchema.optional().describe(
      'Let the alarm choose the action with selfhealing:* tags, within these limits; otherwise `action` applies',
    ),
    dryRun: z.boolean().default(false),
    approval: z.enum(['none', 'required']).default('none').describe('required: a human approves on the notification topic before anything changes'),
    cooldownSeconds: z.int().min(0).max(86_400).default(300).describe('After a remediation of a target, skip new incidents on it for this long'),
    progress: LoopSchema(30, 900).default({ intervalSeconds: 30, timeoutSeconds: 900 }),
    verify: LoopSchema(60, 900)
      .extend({ enabled: z.boolean().default(true) })
      .default({ intervalSeconds: 60, timeoutSeconds: 900, enabled: true }),
  })
  .strict();
export type Rule = z.infer<typeof RuleSchema>;

export const PolicySchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    rules: z.array(RuleSchema).min(1),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.rules.forEach((rule, index) => {
      if (seen.has(rule.name)) {
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `duplicate rule name "${rule.name}"` });
      }
      seen.add(rule.name);
    });
  });
export type Policy = z.infer<typeof PolicySchema>;
