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

export const alarmIs = (state: 'OK' | 'ALARM') =>
  ({
    MetricAlarms: [{ AlarmName: 'x', StateValue: state, StateUpdatedTimestamp: new Date('2026-11-23T10:19:30Z') }],
  }) as never;

/** The alarm still firing when the action re-reads it (the stale-incident check), ALARM for `looks` recovery looks, then OK. */
export function alarmRecoversAfter(looks: number) {
  let answers = aws.cloudWatch.on(DescribeAlarmsCommand).resolvesOnce(alarmIs('ALARM'));
  for (let i = 0; i < looks; i += 1) answers = answers.resolvesOnce(alarmIs('ALARM'));
  answers.resolves(alarmIs('OK'));
}

export function publishedSubjects(): string[] {
  return aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
}
