import { describe, expect, it } from '@jest/globals';
import { FaultInjector, parseFaults } from '../../local/sandbox/faults';

describe('sandbox fault spec', () => {
  it('parses per-operation, per-service and global rules', () => {
    expect(
      parseFaults('AutoScaling.SetDesiredCapacity:first=2;CodeDeploy.*:5xx=0.2,latency=20;*:throttle=0.3'),
    ).toEqual([
      {
        target: 'AutoScaling.SetDesiredCapacity',
        throttle: 0,
        serverError: 0,
        latencyMs: 0,
        failFirst: 2,
        failWith: 'throttle',
        lostReply: 0,
        timeout: 0,
      },
      {
        target: 'CodeDeploy.*',
        throttle: 0,
        serverError: 0.2,
        latencyMs: 20,
        failFirst: 0,
        failWith: 'throttle',
        lostReply: 0,
        timeout: 0,
      },
      {
        target: '*',
        throttle: 0.3,
        serverError: 0,
        latencyMs: 0,
        failFirst: 0,
        failWith: 'throttle',
        lostReply: 0,
        timeout: 0,
      },
    ]);
  });

  it.each([
    ['*:throttle=2', 'throttle must be a rate from 0 to 1'],
    ['*:first=-1', 'first must be a whole number'],
    ['*:explode=1', 'unknown setting "explode=1"'],
    ['throttle=0.3', 'expected <target>:<settings>'],
  ])('rejects %s: %s', (spec, message) => {
    expect(() => parseFaults(spec)).toThrow(message);
  });

  it('fails exactly the first N calls of a scripted rule, and only that operation', () => {
    const faults = new FaultInjector(parseFaults('AutoScaling.SetDesiredCapacity:first=2,fail=5xx'));

    expect(faults.decide('AutoScaling.DescribeAutoScalingGroups')).toBeUndefined();
    expect([1, 2, 3].map(() => faults.decide('AutoScaling.SetDesiredCapacity'))).toEqual([
      { kind: '5xx', scripted: true },
      { kind: '5xx', scripted: true },
      undefined,
    ]);
  });

  it('throttles about the stated share of calls, repeatably for a seed', () => {
    const run = () => {
      const faults = new FaultInjector(parseFaults('*:throttle=0.3'), 7);
      return Array.from({ length: 1000 }, () => faults.decide('SSM.GetAutomationExecution')?.kind ?? 'ok');
    };
    const first = run();

    expect(run()).toEqual(first);
    expect(first.filter((k) => k === 'throttle').length).toBeGreaterThan(250);
    expect(first.filter((k) => k === 'throttle').length).toBeLessThan(350);
  });

  it("times out a function's invocations (Lambda.<Function>:timeout), and never answers an AWS call with it", () => {
    const faults = new FaultInjector(
      parseFaults('Lambda.GuardFunction:first=1,fail=timeout;Lambda.PlanFunction:timeout=0.5'),
      3,
    );
    const plan = Array.from({ length: 200 }, (_, i) => faults.timesOut('PlanFunction', `run|Plan|${i}`));

    expect([faults.timesOut('GuardFunction'), faults.timesOut('GuardFunction')]).toEqual([true, false]);
    expect(faults.timesOut('RecordOutcomeFunction')).toBe(false);
    expect(plan.filter(Boolean).length).toBeGreaterThan(70);
    expect(plan.filter(Boolean).length).toBeLessThan(130);
    // The same invocation key, the same answer: a seed replays its timeouts.
    expect(
      Array.from({ length: 200 }, (_, i) =>
        new FaultInjector(parseFaults('Lambda.PlanFunction:timeout=0.5'), 3).timesOut('PlanFunction', `run|Plan|${i}`),
      ),
    ).toEqual(plan);
    expect(faults.decide('Lambda.GuardFunction')).toBeUndefined();
  });
});
