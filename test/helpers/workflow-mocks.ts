import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand } from '@aws-sdk/client-sns';
import { aws } from './aws-mocks';

// AWS answers the state machine tests share (aws-sdk-client-mock).

export function group(desired: number, inService: number, extra: object = {}) {
  return {
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        MinSize: 2,
        MaxSize: 10,
        DesiredCapacity: desired,
        Instances: Array.from({ length: inService }, (_, i) => ({
          InstanceId: `i-00000000000000${String(i).padStart(3, '0')}`,
          LifecycleState: 'InService',
          HealthStatus: 'Healthy',
        })),
        ...extra,
      },
    ],
  } as never;
}

/** web-asg as Auto Scaling keeps it: a SetDesiredCapacity moves it, and its instances are all in service at once. */
export function groupFollowsCalls(desired: number): { desired: () => number } {
  let current = desired;
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => group(current, current));
  aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    current = input.DesiredCapacity;
    return {};
  });
  return { desired: () => current };
}

export const alarmIs = (state: 'OK' | 'ALARM') =>
  ({
    MetricAlarms: [{ AlarmName: 'x', StateValue: state, StateUpdatedTimestamp: new Date('2026-11-23T10:19:30Z') }],
  }) as never;

/**
 * The alarm still firing when the action's prepare and apply steps re-read it (the safety kernel's
 * alarm rule), ALARM for `looks` recovery looks, then OK.
 */
export function alarmRecoversAfter(looks: number) {
  let answers = aws.cloudWatch.on(DescribeAlarmsCommand).resolvesOnce(alarmIs('ALARM')).resolvesOnce(alarmIs('ALARM'));
  for (let i = 0; i < looks; i += 1) answers = answers.resolvesOnce(alarmIs('ALARM'));
  answers.resolves(alarmIs('OK'));
}

export function publishedSubjects(): string[] {
  return aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
}
