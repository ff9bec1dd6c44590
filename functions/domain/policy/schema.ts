import { RE2JS } from 're2js';
import * as z from 'zod';
import { unknownPlaceholders } from './template';
import { IncidentSourceSchema } from '../incident';
import { ActionSchema, ActionTypeSchema, isMutating } from './actions';
import { DEFAULT_COOLDOWN_SECONDS } from './defaults';

export { DEFAULT_COOLDOWN_SECONDS };

/**
 * Patterns run with RE2 (re2js: linear time in the input, whatever the pattern), so a policy
 * pattern like `^(a+)+$` cannot hang the planner on a long alarm name. RE2 has no backreferences
 * or lookaround: a pattern that uses them fails at load.
 */
function isValidRegex(pattern: string): boolean {
  try {
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
}

/** A value matcher: exact string, any of a list, `{ prefix }` or `{ pattern }` (an RE2 regular expression, matched in linear time). */
export const StringMatcherSchema = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  z.object({ prefix: z.string().min(1) }).strict(),
  z
    .object({
      pattern: z
        .string()
        .min(1)
        .refine(isValidRegex, 'must be a valid RE2 regular expression (no backreferences or lookaround)'),
    })
    .strict(),
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
    minCapacity: z
      .int()
      .min(0)
      .optional()
      .describe(
        'Capacity floor applied to scale-in actions built from tags; without it, tags cannot ask for a scale-in',
      ),
    allowedTargets: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Targets a selfhealing:target tag may name besides the alarm's own (its dimensions): Auto Scaling group names, instance ids, application/deployment-group",
      ),
    approvalRequired: z
      .array(ActionTypeSchema)
      .default(['scale-in', 'replace-instance', 'rollback-deployment', 'run-automation'])
      .describe("Tag-chosen actions of these types wait for a human, whatever the rule's own approval says"),
    allowedDocuments: z
      .array(z.string().min(1))
      .default([])
      .describe('Runbooks a selfhealing:document tag may name; without any, tags cannot start a runbook'),
  })
  .strict();

/** Which alarm dimensions name an instance or an Auto Scaling group, for one namespace. */
export const TargetBindingSchema = z
  .object({
    instance: z.array(z.string().min(1)).min(1).optional(),
    autoScalingGroup: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

const MUTATING_BUT_SCALE_OUT = ['scale-in', 'replace-instance', 'rollback-deployment', 'run-automation'] as const;

/** The limits the safety kernel holds every change to, whatever rule or person asked for it (docs/safety.md). */
export const SafetySchema = z
  .object({
    blastRadius: z
      .object({
        maxInstances: z.int().min(1).max(1000).default(1),
        maxPercent: z.int().min(0).max(100).default(25),
      })
      .strict()
      .default({ maxInstances: 1, maxPercent: 25 })
      .describe(
        'Per Auto Scaling group, at most max(maxInstances, maxPercent % of its healthy InService instances) replaced, restarted or drained at once, across executions; beyond that a human approves',
      ),
    approvedChangeToleranceInstances: z
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .describe(
        'An approved capacity change, recomputed from the group as it is at the call, may be at most this many instances larger than the one approved; otherwise it goes back to a human',
      ),
    manualApprovalRequired: z
      .array(ActionTypeSchema)
      .default([...MUTATING_BUT_SCALE_OUT])
      .describe(
        'Manual executions of these action types wait for a human (a manual scale-out is held to the capacity threshold and the blast radius); only an explicit dry run skips approval',
      ),
    targetBindings: z
      .record(z.string().min(1), TargetBindingSchema)
      .default({})
      .describe(
        'Namespaces besides AWS/EC2 and AWS/AutoScaling whose dimensions name the instance or group an alarm is about. Only list a namespace whose PutMetricData you restrict (IAM condition cloudwatch:namespace): whoever can write it can point the platform at any target it names',
      ),
  })
  .strict();
export type Safety = z.infer<typeof SafetySchema>;

/** Approval only where it matters, instead of for every incident of a rule. */
export const ApprovalThresholdSchema = z
  .object({
    environments: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Any mutating action needs approval when the stack runs in one of these environments (template parameter Environment)',
      ),
    capacityIncreaseOverPercent: z
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .describe('A scale-out needs approval when it raises desired capacity by more than this percentage'),
  })
  .strict()
  .refine(
    (t) => t.environments !== undefined || t.capacityIncreaseOverPercent !== undefined,
    'name at least one of environments, capacityIncreaseOverPercent',
  );
export type ApprovalThreshold = z.infer<typeof ApprovalThresholdSchema>;

export const ApprovalSettingSchema = z.union([z.enum(['none', 'required']), ApprovalThresholdSchema]);
export type ApprovalSetting = z.infer<typeof ApprovalSettingSchema>;

const ProgressLoopSchema = LoopSchema(30, 900);
const VerifyLoopSchema = LoopSchema(60, 900);

/** One rung of an escalation ladder: an action, then the wait for the alarm to return to OK (`verify.timeoutSeconds`). */
export const EscalationStepSchema = z
  .object({
    action: ActionSchema,
    progress: ProgressLoopSchema.optional().describe("Defaults to the rule's progress loop"),
    verify: VerifyLoopSchema.optional().describe(
      "How long to wait for OK before climbing to the next step; defaults to the rule's verify loop",
    ),
  })
  .strict();
export type EscalationStep = z.infer<typeof EscalationStepSchema>;

export const PreferRollbackSchema = z
  .object({
    withinMinutes: z
      .int()
      .min(1)
      .max(1440)
      .default(30)
      .describe('A change that finished at most this long before the alarm counts'),
    application: z
      .string()
      .min(1)
      .optional()
      .describe("CodeDeploy application to check (templated); default: the incident's target"),
    deploymentGroup: z
      .string()
      .min(1)
      .optional()
      .describe("CodeDeploy deployment group to check (templated); default: the incident's target"),
  })
  .strict();

export const RuleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be kebab-case, at most 63 characters'),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    mode: z
      .enum(['active', 'shadow'])
      .default('active')
      .describe(
        'shadow: decide and record what would be done, change nothing, and watch whether the alarm recovers by itself',
      ),
    match: MatchSchema,
    action: ActionSchema.optional().describe('The one action; a rule has either `action` or `escalation`'),
    escalation: z
      .array(EscalationStepSchema)
      .min(2)
      .max(6)
      .optional()
      .describe('Actions tried in order until the alarm returns to OK; the last one must be `notify` (a human)'),
    trustAlarmTags: TrustAlarmTagsSchema.optional().describe(
      'Let the alarm choose the action with selfhealing:* tags, within these limits; otherwise `action` applies',
    ),
    allowedTargets: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Targets this rule may act on besides those its incident names by identity (AWS namespace dimensions, its event): Auto Scaling group names, instance ids, application/deployment-group. An alarm in a namespace the policy does not bind names nothing else',
      ),
    actOnInsufficientData: z
      .boolean()
      .default(false)
      .describe(
        'Act while the alarm reads INSUFFICIENT_DATA right before the call (a pure scale-out always may); otherwise only while it reads ALARM',
      ),
    preferRollbackAfterChange: PreferRollbackSchema.optional().describe(
      "Roll back instead of the rule's action when the alarm's service changed (CodeDeploy deployment, ASG instance refresh) shortly before the alarm",
    ),
    dryRun: z.boolean().default(false),
    approval: ApprovalSettingSchema.optional().describe(
      "none, required (a human approves on the notification topic before anything changes), or a threshold; default: the policy's `approval`, else none",
    ),
    cooldownSeconds: z
      .int()
      .min(0)
      .max(86_400)
      .default(DEFAULT_COOLDOWN_SECONDS)
      .describe('After a remediation of a target, skip new incidents on it for this long'),
    maxIncidentAgeSeconds: z
      .int()
      .min(60)
      .max(604_800)
      .optional()
      .describe(
        "Do not start acting on an incident detected longer ago than this (Reason Stale); default: the stack's MaxIncidentAgeSeconds",
      ),
    progress: ProgressLoopSchema.default({ intervalSeconds: 30, timeoutSeconds: 900 }),
    verify: VerifyLoopSchema.extend({ enabled: z.boolean().default(true) }).default({
      intervalSeconds: 60,
      timeoutSeconds: 900,
      enabled: true,
    }),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const unknown = unknownPlaceholders([rule.action, rule.escalation, rule.preferRollbackAfterChange]);
    if (unknown.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: [rule.action ? 'action' : 'escalation'],
        message: `no incident or stack provides ${unknown.map((p) => `{{${p}}}`).join(', ')}`,
      });
    if ((rule.action === undefined) === (rule.escalation === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['action'],
        message: 'a rule needs exactly one of `action` and `escalation`',
      });
    }
    if (rule.escalation) {
      rule.escalation.forEach((step, index) => {
        const last = index === (rule.escalation?.length ?? 0) - 1;
        if (last && isMutating(step.action.type)) {
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', index, 'action', 'type'],
            message: 'the last step of an escalation must be `notify`: a human',
          });
        }
        if (!last && !isMutating(step.action.type)) {
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', index, 'action', 'type'],
            message: 'only the last step of an escalation may be `notify`',
          });
        }
      });
      if (rule.trustAlarmTags) {
        ctx.addIssue({
          code: 'custom',
          path: ['trustAlarmTags'],
          message: 'alarm tags choose a single action: not with `escalation`',
        });
      }
    }
  });
export type Rule = z.infer<typeof RuleSchema>;

export const PolicySchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    approval: ApprovalThresholdSchema.optional().describe(
      'Approval thresholds for every rule that sets no `approval` of its own',
    ),
    safety: SafetySchema.default(SafetySchema.parse({})),
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
