import { describe, expect, it } from '@jest/globals';
import { retryWaitMs } from '../../local/workflow';

// Under virtual time the local engine's Retry intervals pass on the virtual clock; the interval is
// the one the States Language specifies: IntervalSeconds × BackoffRate^attempt, capped by
// MaxDelaySeconds, drawn from [0, that] with FULL jitter, until MaxAttempts.
describe('Retry intervals on the virtual clock', () => {
  const throttled = {
    ErrorEquals: ['AwsThrottledError'],
    IntervalSeconds: 5,
    BackoffRate: 2,
    MaxAttempts: 3,
    MaxDelaySeconds: 12,
  };
  const timedOut = { ErrorEquals: ['Sandbox.Timedout'], IntervalSeconds: 2, MaxAttempts: 2 };

  it('backs off, caps at MaxDelaySeconds, and stops after MaxAttempts', () => {
    const attempts: number[] = [];
    const waits = [1, 2, 3, 4].map(() => retryWaitMs([throttled], attempts, { name: 'AwsThrottledError' }, () => 0.5));

    expect(waits).toEqual([5000, 10_000, 12_000, undefined]);
  });

  it('draws FULL jitter from [0, interval] and uses the first retrier that matches', () => {
    const jittered = { ...throttled, JitterStrategy: 'FULL' as const };

    expect(retryWaitMs([timedOut, jittered], [], { name: 'AwsThrottledError' }, () => 0.25)).toBe(1250);
    expect(retryWaitMs([timedOut, jittered], [], { name: 'Sandbox.Timedout' }, () => 0.25)).toBe(2000);
  });

  it('does not retry an error no retrier names; States.TaskFailed takes any but States.Timeout', () => {
    const any = { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1 };

    expect(retryWaitMs([throttled], [], { name: 'InvalidInputError' }, () => 0)).toBeUndefined();
    expect(retryWaitMs([any], [], { name: 'InvalidInputError' }, () => 0)).toBe(1000);
    expect(retryWaitMs([any], [], { name: 'States.Timeout' }, () => 0)).toBeUndefined();
  });
});
