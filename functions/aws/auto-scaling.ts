import {
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { callAws } from './aws-errors';
import { autoScaling } from './clients/auto-scaling';
import { TargetNotFoundError } from '../domain/errors';
import { type GroupSize, type PreparedAutoScaling, recheckCapacity } from '../domain/scaling';

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

export async function groupSize(name: string): Promise<GroupSize> {
  const group = await describeGroup(name);
  return { minSize: group.MinSize ?? 0, maxSize: group.MaxSize ?? 0, desiredCapacity: group.DesiredCapacity ?? 0 };
}

/** The group an instance belongs to, with its desired capacity; undefined when it is in none. */
export async function groupOfInstance(
  instanceId: string,
): Promise<{ name: string; desiredCapacity: number } | undefined> {
  const out = await callAws('AutoScaling.DescribeAutoScalingInstances', () =>
    autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
  );
  const name = out.AutoScalingInstances?.[0]?.AutoScalingGroupName;
  if (!name) return undefined;
  const group = await describeGroup(name);
  return { name, desiredCapacity: group.DesiredCapacity ?? 0 };
}

/** Why the prepared change is already in place, if it is (an earlier attempt's call went through); throws NoLongerNeeded when the target moved past it. */
export async function alreadyApplied(prepared: PreparedAutoScaling): Promise<string | undefined> {
  if (prepared.instanceId) {
    const out = await callAws('AutoScaling.DescribeAutoScalingInstances', () =>
      autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [prepared.instanceId as string] })),
    );
    const instance = out.AutoScalingInstances?.[0];
    if (!instance) return `${prepared.instanceId} has left its group`;
    const unhealthy =
      instance.HealthStatus?.toUpperCase() === 'UNHEALTHY' || instance.LifecycleState?.startsWith('Terminat');
    return unhealthy
      ? `${prepared.instanceId} is already ${instance.LifecycleState ?? ''} ${instance.HealthStatus ?? ''}`.trim()
      : undefined;
  }
  const group = await describeGroup(prepared.autoScalingGroupName);
  return recheckCapacity(prepared, group.DesiredCapacity ?? 0);
}

/** The mutating call: marks the instance Unhealthy, or sets the group's desired capacity. */
export async function applyScaling(prepared: PreparedAutoScaling): Promise<void> {
  if (prepared.instanceId) {
    await callAws('AutoScaling.SetInstanceHealth', () =>
      autoScaling.send(
        new SetInstanceHealthCommand({
          InstanceId: prepared.instanceId,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      ),
    );
    return;
  }
  await callAws('AutoScaling.SetDesiredCapacity', () =>
    autoScaling.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: prepared.autoScalingGroupName,
        DesiredCapacity: prepared.desiredCapacity,
        HonorCooldown: false,
      }),
    ),
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
