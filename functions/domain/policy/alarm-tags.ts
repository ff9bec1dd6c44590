import type { SkipReason } from '../execution-state';
import { type Action, ActionSchema, ActionTypeSchema } from './actions';
import type { Rule } from './schema';

// What an alarm's selfhealing:* tags may ask for: anyone who can tag an alarm wrote them.

type TagOutcome = { ok: true; action: Action } | { ok: false; reason: SkipReason; why: string };

/** Builds an action from `selfhealing:*` alarm tags, within the rule's trust limits. */
export function actionFromAlarmTags(
  tags: Record<string, string>,
  trust: NonNullable<Rule['trustAlarmTags']>,
): TagOutcome {
  const type = ActionTypeSchema.safeParse(tags['selfhealing:action']);
  if (!type.success) {
    return {
      ok: false,
      reason: 'InvalidAlarmTags',
      why: `selfhealing:action "${tags['selfhealing:action']}" is not an action type`,
    };
  }
  if (!trust.allowedActions.includes(type.data)) {
    return {
      ok: false,
      reason: 'AlarmTagActionNotAllowed',
      why: `selfhealing:action ${type.data} is not allowed by this rule`,
    };
  }
  const target = tags['selfhealing:target'];
  const stepTag = tags['selfhealing:step'];
  const step = stepTag === undefined ? 1 : Number(stepTag);
  if (!Number.isInteger(step) || step < 1 || step > trust.maxStep) {
    return {
      ok: false,
      reason: 'InvalidAlarmTags',
      why: `selfhealing:step "${stepTag}" must be an integer from 1 to ${trust.maxStep}`,
    };
  }
  let candidate: unknown;
  switch (type.data) {
    case 'scale-out':
      candidate = {
        type: 'scale-out',
        step,
        ...(target ? { autoScalingGroupName: target } : {}),
        ...(trust.maxCapacity !== undefined ? { maxCapacity: trust.maxCapacity } : {}),
      };
      break;
    case 'scale-in':
      // A tag must not be able to shrink a group to nothing: only with the rule's floor.
      if (trust.minCapacity === undefined)
        return {
          ok: false,
          reason: 'AlarmTagActionNotAllowed',
          why: 'selfhealing:action scale-in needs the rule to set trustAlarmTags.minCapacity (a floor)',
        };
      candidate = {
        type: 'scale-in',
        step,
        minCapacity: trust.minCapacity,
        ...(target ? { autoScalingGroupName: target } : {}),
      };
      break;
    case 'replace-instance':
      candidate = { type: 'replace-instance', ...(target ? { instanceId: target } : {}) };
      break;
    case 'rollback-deployment': {
      const [application, deploymentGroup] = target?.split('/') ?? [];
      if (target && (!application || !deploymentGroup)) {
        return {
          ok: false,
          reason: 'InvalidAlarmTags',
          why: 'selfhealing:target for rollback-deployment must be "application/deployment-group"',
        };
      }
      candidate = { type: 'rollback-deployment', ...(target ? { application, deploymentGroup } : {}) };
      break;
    }
    case 'run-automation': {
      const documentName = tags['selfhealing:document'];
      if (!documentName) {
        return { ok: false, reason: 'InvalidAlarmTags', why: 'run-automation needs the selfhealing:document tag' };
      }
      candidate = {
        type: 'run-automation',
        documentName,
        parameters: { InstanceId: [target ?? '{{target.instanceId}}'] },
      };
      break;
    }
    case 'notify':
      candidate = { type: 'notify', severity: 'warning' };
      break;
  }
  const parsed = ActionSchema.safeParse(candidate);
  return parsed.success
    ? { ok: true, action: parsed.data }
    : { ok: false, reason: 'InvalidAlarmTags', why: parsed.error.issues.map((i) => i.message).join('; ') };
}
