import {
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
  SetDesiredCapacityCommand,
  type SetDesiredCapacityCommandInput,
  SetInstanceHealthCommand,
  type SetInstanceHealthCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { callAws } from './aws-errors';
import { autoScaling, autoScalingOneAttempt } from './clients/auto-scaling';
import { InvalidInputError, TargetNotFoundError } from '../domain/errors';
import type { Call, LiveGroup, LiveInstance } from '../domain/safety-kernel';

// Every Auto Scaling read and write the platform makes, in one place: the group scaled, the
// instance marked Unhealthy.

export async function describeGroup(name: string): Promise<AutoScalingGroup> {
  const out = await callAws('AutoScaling.DescribeAutoScalingGroups', () =>
    autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group) throw new TargetNotFoundError(`Auto Scaling group ${name} does not exist`);
  return group;
}

/** The groups as they are, with the healthy InService count the blast radius is a share of, and their members. */
export async function describeGroups(
  names: string[],
): Promise<{ groups: Record<string, LiveGroup>; members: LiveInstance[] }> {
  if (names.length === 0) return { groups: {}, members: [] };
  const out = await callAws('AutoScaling.DescribeAutoScalingGroups', () =>
    autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names })),
  );
  const missing = names.filter((name) => !out.AutoScalingGroups?.some((g) => g.AutoScalingGroupName === name));
  // No target, no change: nothing is claimed, so nothing counts (the budget, a cooldown).
  if (missing.length > 0) throw new TargetNotFoundError(`Auto Scaling group ${missing.join(', ')} does not exist`);
  const groups: Record<string, LiveGroup> = {};
  const members: LiveInstance[] = [];
  for (const group of out.AutoScalingGroups ?? []) {
    const name = group.AutoScalingGroupName ?? '';
    const instances = group.Instances ?? [];
    groups[name] = {
      name,
      minSize: group.MinSize ?? 0,
      maxSize: group.MaxSize ?? 0,
      desired: group.DesiredCapacity ?? 0,
      healthyInService: instances.filter(
        (i) => i.LifecycleState === 'InService' && i.HealthStatus?.toUpperCase() === 'HEALTHY',
      ).length,
    };
    for (const i of instances) members.push(instanceState(i.InstanceId ?? '', name, i.LifecycleState, i.HealthStatus));
  }
  return { groups, members };
}

const instanceState = (id: string, group: string, lifecycle?: string, health?: string): LiveInstance => ({
  id,
  found: true,
  group,
  ...(lifecycle ? { lifecycle } : {}),
  ...(health ? { health } : {}),
});

/** The instances among these that an Auto Scaling group holds, with their lifecycle and health. */
export async function autoScalingMembership(ids: string[]): Promise<Record<string, LiveInstance>> {
  const out = await callAws('AutoScaling.DescribeAutoScalingInstances', () =>
    autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ids })),
  );
  const members: Record<string, LiveInstance> = {};
  for (const i of out.AutoScalingInstances ?? [])
    if (i.InstanceId && i.AutoScalingGroupName)
      members[i.InstanceId] = instanceState(i.InstanceId, i.AutoScalingGroupName, i.LifecycleState, i.HealthStatus);
  return members;
}

/** The mutating call the safety kernel decided on: a group's desired capacity, or an instance marked Unhealthy. */
export async function makeScalingCall(call: Call): Promise<void> {
  if (call.operation === 'AutoScaling.SetInstanceHealth') {
    await callAws(call.operation, () =>
      autoScalingOneAttempt.send(new SetInstanceHealthCommand(call.input as unknown as SetInstanceHealthCommandInput)),
    );
    return;
  }
  if (call.operation !== 'AutoScaling.SetDesiredCapacity')
    throw new InvalidInputError(`Not an Auto Scaling change: ${call.operation}`);
  await callAws(call.operation, () =>
    autoScalingOneAttempt.send(new SetDesiredCapacityCommand(call.input as unknown as SetDesiredCapacityCommandInput)),
  );
}

/** The group's ten newest instance refreshes. */
export async function recentInstanceRefreshes(autoScalingGroupName: string): Promise<InstanceRefresh[]> {
  const out = await callAws('AutoScaling.DescribeInstanceRefreshes', () =>
    autoScaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: autoScalingGroupName, MaxRecords: 10 }),
    ),
  );
  return out.InstanceRefreshes ?? [];
}
