import type { Action } from '../domain/policy/actions';

type ScaleAction = Extract<Action, { type: 'scale-out' | 'scale-in' }>;

export interface GroupSize {
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}

export interface CapacityDecision {
  desiredCapacity: number;
  limitedBy?: string;
}

/**
 * Absolute target computed once from the group as described: clamp(current ± step,
 * MinSize, min(MaxSize, rule cap)). The apply step sets this number, so a retry never adds twice.
 */
export function computeDesiredCapacity(action: ScaleAction, group: GroupSize): CapacityDecision {
  if (action.type === 'scale-out') {
    const ceiling = Math.min(group.maxSize, action.maxCapacity ?? Number.POSITIVE_INFINITY);
    const wanted = group.desiredCapacity + action.step;
    const desired = Math.max(group.minSize, Math.min(wanted, ceiling));
    const limitedBy =
      wanted > ceiling ? (ceiling === group.maxSize ? `MaxSize ${group.maxSize}` : `rule cap ${ceiling}`) : undefined;
    return { desiredCapacity: desired, ...(limitedBy ? { limitedBy } : {}) };
  }
  const floor = Math.max(group.minSize, action.minCapacity ?? 0);
  const wanted = group.desiredCapacity - action.step;
  const desired = Math.min(group.maxSize, Math.max(wanted, floor));
  const limitedBy =
    wanted < floor ? (floor === group.minSize ? `MinSize ${group.minSize}` : `rule floor ${floor}`) : undefined;
  return { desiredCapacity: desired, ...(limitedBy ? { limitedBy } : {}) };
}
