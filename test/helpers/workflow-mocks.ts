import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDeploymentCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
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
  return groupLaunches(desired, Infinity);
}

export const alarmIs = (state: 'OK' | 'ALARM') =>
  ({
    MetricAlarms: [{ AlarmName: 'x', StateValue: state, StateUpdatedTimestamp: new Date('2026-11-23T10:19:30Z') }],
  }) as never;

/** Inputs of the mutating calls a helper answered with an error (AWS refused them: nothing changed). */
const refusedInputs = new WeakSet<object>();

/** How many remediation calls (the one mutating call of a step) have gone through (one AWS refused does not count). */
export function changesMade(): number {
  const made = (calls: { args: [{ input: object }] }[]) =>
    calls.filter((call) => !refusedInputs.has(call.args[0].input)).length;
  return (
    made(aws.autoScaling.commandCalls(SetDesiredCapacityCommand)) +
    made(aws.autoScaling.commandCalls(SetInstanceHealthCommand)) +
    made(aws.codeDeploy.commandCalls(CreateDeploymentCommand)) +
    made(aws.codeDeploy.commandCalls(StopDeploymentCommand)) +
    made(aws.ssm.commandCalls(StartAutomationExecutionCommand))
  );
}

/**
 * The alarm fires until the change is made (every pre-flight read before it, however many, sees
 * ALARM), then for `looks` more recovery looks, then reads OK.
 */
export function alarmRecoversAfter(looks: number) {
  const before = changesMade();
  let after = 0;
  aws.cloudWatch.on(DescribeAlarmsCommand).callsFake(() => {
    if (changesMade() === before) return alarmIs('ALARM');
    after += 1;
    return alarmIs(after > looks ? 'OK' : 'ALARM');
  });
}

/**
 * web-asg as Auto Scaling runs it: SetDesiredCapacity moves the desired capacity, and each look
 * after it finds one more new instance in service (`launchedPerLook`), until all are.
 */
export function groupLaunches(
  desired: number,
  launchedPerLook = 1,
  refuse: (call: number) => Error | undefined = () => undefined,
): { desired: () => number } {
  let current = desired;
  let inService = desired;
  let calls = 0;
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => {
    const answer = group(current, inService);
    inService = inService < current ? Math.min(current, inService + launchedPerLook) : current;
    return answer;
  });
  aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    calls += 1;
    const refused = refuse(calls);
    if (refused) {
      refusedInputs.add(input);
      throw refused;
    }
    current = input.DesiredCapacity;
    return {};
  });
  return { desired: () => current };
}

export function publishedSubjects(): string[] {
  return aws.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
}
