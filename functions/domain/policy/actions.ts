import * as z from 'zod';

// Strings in a rule's action may hold {{path}} placeholders resolved from the incident
// (see policy/template.ts); after planning they are plain values.
const Name = z.string().min(1).max(1600);

export const ScaleOutActionSchema = z
  .object({
    type: z.literal('scale-out'),
    autoScalingGroupName: Name.default('{{target.autoScalingGroupName}}'),
    step: z.int().min(1).max(1000).default(1).describe('Instances to add to the current desired capacity'),
    maxCapacity: z.int().min(0).optional().describe("Never go above this, even when the group's MaxSize allows it"),
  })
  .strict();

export const ScaleInActionSchema = z
  .object({
    type: z.literal('scale-in'),
    autoScalingGroupName: Name.default('{{target.autoScalingGroupName}}'),
    step: z.int().min(1).max(1000).default(1).describe('Instances to remove from the current desired capacity'),
    minCapacity: z.int().min(0).optional().describe("Never go below this, even when the group's MinSize allows it"),
  })
  .strict();

export const ReplaceInstanceActionSchema = z
  .object({
    type: z.literal('replace-instance'),
    instanceId: Name.default('{{target.instanceId}}'),
  })
  .strict();

export const RollbackDeploymentActionSchema = z
  .object({
    type: z.literal('rollback-deployment'),
    application: Name.default('{{target.codedeploy.application}}'),
    deploymentGroup: Name.default('{{target.codedeploy.deploymentGroup}}'),
  })
  .strict();

export const RunAutomationActionSchema = z
  .object({
    type: z.literal('run-automation'),
    documentName: Name,
    documentVersion: z.string().min(1).optional(),
    parameters: z.record(z.string().min(1), z.array(z.string())).default({}),
    allowedValues: z
      .record(z.string().min(1), z.array(z.string()).min(1))
      .optional()
      .describe(
        'Values a parameter may take when it comes from the incident ({{alarm.*}}, tags, dimensions); values written in `parameters` are always allowed, anything else from an alarm is refused (ParameterNotAllowed)',
      ),
    useAutomationRole: z
      .boolean()
      .default(true)
      .describe("Pass the platform's automation role as AutomationAssumeRole (AWS-owned runbooks accept it)"),
  })
  .strict();

export const NotifyActionSchema = z
  .object({
    type: z.literal('notify'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
    message: z.string().max(1000).optional(),
  })
  .strict();

export const ActionSchema = z.discriminatedUnion('type', [
  ScaleOutActionSchema,
  ScaleInActionSchema,
  ReplaceInstanceActionSchema,
  RollbackDeploymentActionSchema,
  RunAutomationActionSchema,
  NotifyActionSchema,
]);

export type Action = z.infer<typeof ActionSchema>;
export type ActionType = Action['type'];
export const ACTION_TYPES = [
  'scale-out',
  'scale-in',
  'replace-instance',
  'rollback-deployment',
  'run-automation',
  'notify',
] as const satisfies readonly ActionType[];
export const ActionTypeSchema = z.enum(ACTION_TYPES);

/** Actions that change AWS resources; everything else only reads or notifies. */
export function isMutating(type: ActionType): boolean {
  return type !== 'notify';
}
