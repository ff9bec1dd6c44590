import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { callAws } from './aws-errors';
import { autoScalingMembership } from './auto-scaling';
import { ssm } from './clients/ssm';
import type { LiveInstance } from '../domain/safety-kernel';
import { settleAll } from '../platform/settle';

// Where an instance is, as the safety kernel reads it: its Auto Scaling group (and its state there),
// or Systems Manager's managed instances, and whether its agent reported in since the incident.

/**
 * The instances among these that Systems Manager manages (an instance outside Auto Scaling is known
 * to exist this way), with when its agent last reported in, if it is Online now.
 */
export async function managedInstances(ids: string[]): Promise<Map<string, { onlineAt?: string }>> {
  const out = await callAws('SSM.DescribeInstanceInformation', () =>
    ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids }] })),
  );
  return new Map(
    (out.InstanceInformationList ?? []).flatMap((i) =>
      i.InstanceId
        ? [
            [
              i.InstanceId,
              i.PingStatus === 'Online' && i.LastPingDateTime ? { onlineAt: i.LastPingDateTime.toISOString() } : {},
            ] as const,
          ]
        : [],
    ),
  );
}

/** Where each instance is: its Auto Scaling group, or among Systems Manager's managed instances, or nowhere the platform can see. */
export async function locateInstances(ids: string[]): Promise<Record<string, LiveInstance>> {
  const [members, managed] = await settleAll([autoScalingMembership(ids), managedInstances(ids)]);
  return Object.fromEntries(
    ids.map((id) => {
      const agent = managed.get(id);
      const located: LiveInstance = members[id] ?? { id, found: agent !== undefined };
      return [id, agent?.onlineAt ? { ...located, agentOnlineAt: agent.onlineAt } : located];
    }),
  );
}
