import { describe, expect, it } from '@jest/globals';
import { type RunFacts, checkInvariants } from '../../local/sim/invariants';
import type { CallRecord, ExecutionRecord } from '../../local/sandbox/server';

// Each invariant of the fault sweep, on hand-made facts: it must catch the breach it names.
const at = (minute: number) => new Date(Date.parse('2026-03-02T09:00:00Z') + minute * 60_000).toISOString();
const call = (
  actor: string,
  minute: number,
  operation: string,
  params: Record<string, unknown>,
  extra: Partial<CallRecord> = {},
): CallRecord => ({
  seq: 0,
  epoch: 0,
  actor: `${actor}|Apply`,
  at: at(minute),
  wallMs: 0,
  operation,
  params: params,
  status: 200,
  outcome: 'ok',
  injected: false,
  mutating: true,
  applied: true,
  ...extra,
});
const execution = (name: string, states: string[], output: object = {}): ExecutionRecord => ({
  name,
  executionArn: name,
  input: { id: name },
  startedAt: 0,
  status: 'SUCCEEDED',
  run: { status: 'SUCCEEDED', output, states, retries: [], events: [], invocations: [] },
  done: Promise.resolve(),
});
const facts = (over: Partial<RunFacts>): RunFacts => ({
  calls: [],
  executions: [],
  guardItems: [],
  killSwitchOn: [],
  killSwitchCacheMs: 60_000,
  defaultCooldownSeconds: 300,
  deploymentGroupOf: () => undefined,
  ...over,
});
/** The invariants broken, apart from `counted` (these facts leave out the guard's release calls, which its own test covers). */
const names = (f: RunFacts) =>
  checkInvariants(f)
    .map((v) => v.invariant)
    .filter((name) => name !== 'counted');
const done = ['Record Success'];

describe('safety invariants', () => {
  it('one change per target inside its cooldown', () => {
    const scale = (who: string, minute: number, desired: number) =>
      call(who, minute, 'AutoScaling.SetDesiredCapacity', {
        AutoScalingGroupName: 'web-asg',
        DesiredCapacity: desired,
      });
    expect(
      names(
        facts({
          calls: [scale('a', 0, 6), scale('b', 2, 8)],
          executions: [execution('a', done), execution('b', done)],
        }),
      ),
    ).toEqual(['one-change-per-target']);
    expect(
      names(
        facts({
          calls: [scale('a', 0, 6), scale('b', 6, 8)],
          executions: [execution('a', done), execution('b', done)],
        }),
      ),
    ).toEqual([]);
    // The SDK repeating an idempotent call is one change.
    expect(names(facts({ calls: [scale('a', 0, 6), scale('a', 0, 6)], executions: [execution('a', done)] }))).toEqual(
      [],
    );
  });

  it('acts once: a non-idempotent change is never made twice', () => {
    const create = () =>
      call('a', 0, 'CodeDeploy.CreateDeployment', {
        applicationName: 'web',
        deploymentGroupName: 'prod',
        revision: { key: 'v1' },
      });
    expect(names(facts({ calls: [create(), create()], executions: [execution('a', done)] }))).toEqual([
      'one-change-per-target',
      'acts-once',
    ]);
  });

  it('no change while the kill switch is on, after its cache time', () => {
    const scale = (minute: number) =>
      call('a', minute, 'AutoScaling.SetDesiredCapacity', { AutoScalingGroupName: 'web-asg', DesiredCapacity: 6 });
    const on = [{ from: Date.parse(at(10)) }];
    expect(names(facts({ calls: [scale(10.5)], executions: [execution('a', done)], killSwitchOn: on }))).toEqual([]);
    expect(names(facts({ calls: [scale(12)], executions: [execution('a', done)], killSwitchOn: on }))).toEqual([
      'kill-switch',
    ]);
  });

  it('fails a change made after the switch was set even when its guard read it before (every change re-reads it)', () => {
    const on = [{ from: Date.parse(at(10)) }];
    const guardRead = (minute: number) =>
      call(
        'a',
        minute,
        'SSM.GetParameter',
        { Name: '/stack/paused' },
        { actor: 'a|Check Guardrails', mutating: false, applied: false },
      );
    const change = call('a', 50, 'CodeDeploy.CreateDeployment', {
      applicationName: 'web',
      deploymentGroupName: 'prod',
    });
    const [afterGuard] = checkInvariants(
      facts({ calls: [guardRead(5), change], executions: [execution('a', done)], killSwitchOn: on }),
    );
    const [switchIgnored] = checkInvariants(
      facts({ calls: [guardRead(20), change], executions: [execution('a', done)], killSwitchOn: on }),
    );

    expect(afterGuard).toMatchObject({ invariant: 'kill-switch' });
    expect(afterGuard?.knownAs).toBeUndefined();
    expect(switchIgnored).toMatchObject({ invariant: 'kill-switch' });
    expect(switchIgnored?.knownAs).toBeUndefined();
  });

  it('a scale-out never lowers capacity', () => {
    const lower = call(
      'a',
      0,
      'AutoScaling.SetDesiredCapacity',
      { AutoScalingGroupName: 'web-asg', DesiredCapacity: 4 },
      { before: { desired: 8, minSize: 2, maxSize: 10 } },
    );
    expect(
      names(facts({ calls: [lower], executions: [execution('a', done, { plan: { action: { type: 'scale-out' } } })] })),
    ).toEqual(['scale-out-lowers']);
  });

  it('every incident ends with exactly one recorded outcome, and leaves no lock', () => {
    const failedRecording = execution('a', ['Record Failure', 'Describe Recording Failed', 'Recording Failed']);
    expect(names(facts({ executions: [failedRecording] }))).toEqual(['one-outcome']);
    expect(
      names(
        facts({
          executions: [execution('b', done)],
          guardItems: [{ target: 'asg:web-asg', lockState: 'in-progress', lockedBy: 'b' }],
        }),
      ),
    ).toEqual(['lock-released']);
  });

  it('every change that went through is counted: its release puts the target in cooldown', () => {
    const scale = call('a', 0, 'AutoScaling.SetDesiredCapacity', {
      AutoScalingGroupName: 'web-asg',
      DesiredCapacity: 6,
    });
    const release = call(
      'a',
      5,
      'DynamoDB.UpdateItem',
      { Key: { target: { S: 'asg:web-asg' } }, UpdateExpression: 'SET lockState = :cooldown, lockExpiresAt = :until' },
      { actor: 'a|Record Success', mutating: false, applied: false },
    );
    const broken = (f: RunFacts) => checkInvariants(f).map((v) => v.invariant);
    expect(broken(facts({ calls: [scale, release], executions: [execution('a', done)] }))).toEqual([]);
    expect(broken(facts({ calls: [scale], executions: [execution('a', done)] }))).toEqual(['counted']);
    // A task that failed after its call went through is no excuse: the intent it recorded is counted.
    const [failedTask] = checkInvariants(
      facts({ calls: [scale], executions: [execution('a', ['Record Failure', 'Remediation Failed'])] }),
    );
    expect(failedTask).toMatchObject({ invariant: 'counted' });
    expect(failedTask?.knownAs).toBeUndefined();
  });

  it('notifications agree with the records', () => {
    const notified = execution('a', done, { record: { notification: { subject: 'x' } } });
    const publish = call(
      'a',
      1,
      'SNS.Publish',
      { TopicArn: 't' },
      { actor: 'a|Record Success', mutating: false, applied: false },
    );
    expect(names(facts({ executions: [notified], calls: [publish] }))).toEqual([]);
    expect(names(facts({ executions: [notified], calls: [publish, publish] }))).toEqual(['notifications']);
  });
});
