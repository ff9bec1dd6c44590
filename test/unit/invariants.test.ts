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
  // No policy file: the tests say which namespaces and targets it binds.
  policy: {},
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

describe('safety invariants of the safety kernel (issue 26)', () => {
  const ms = (minute: number) => Date.parse(at(minute));
  /** An execution with what it was started with and what its states did. */
  const run = (
    name: string,
    input: object,
    events: { type: string; minute: number; state: string; input?: object; output?: object }[] = [],
    status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED',
  ): ExecutionRecord => ({
    name,
    executionArn: name,
    input,
    startedAt: 0,
    status,
    run: {
      status,
      output: {},
      // Every execution here ends by recording one outcome (one-outcome has its own test).
      states: [
        ...events.filter((e) => e.type === 'StateEntered').map((e) => e.state),
        ...(events.some((e) => e.state.startsWith('Record')) ? [] : ['Record Success']),
      ],
      retries: [],
      events: events.map((e) => ({
        type: e.type,
        timestamp: ms(e.minute),
        state: { name: e.state, ...(e.input ? { input: e.input } : {}), ...(e.output ? { output: e.output } : {}) },
      })),
      invocations: [],
    },
    done: Promise.resolve(),
  });
  /** The plan an Apply state entered with, and the outcome recorded at `recordedAt`. */
  const planned = (action: object, recordedAt = 30) => [
    { type: 'StateEntered', minute: 0, state: 'Apply', input: { plan: { action } } },
    { type: 'StateEntered', minute: recordedAt, state: 'Record Success' },
  ];
  /** The on-call's answer to an execution's approval request. */
  const approval = (execution: string, minute: number) =>
    call(
      '~drill',
      minute,
      'StepFunctions.SendTaskSuccess',
      { taskToken: `${execution}:task-token`, output: JSON.stringify({ approved: true, by: 'on-call' }) },
      { actor: '~drill', mutating: false, applied: false },
    );
  const setDesired = (who: string, minute: number, group: string, desired: number, before: object) =>
    call(
      who,
      minute,
      'AutoScaling.SetDesiredCapacity',
      { AutoScalingGroupName: group, DesiredCapacity: desired },
      { before: { minSize: 1, maxSize: 20, ...before } },
    );

  it('a scale-in never raises capacity, and no scale moves it by more than its step from what is live', () => {
    const scaleIn = [run('a', { id: 'a' }, planned({ type: 'scale-in', step: 2 }))];
    expect(names(facts({ calls: [setDesired('a', 0, 'g', 7, { desired: 6 })], executions: scaleIn }))).toEqual([
      'scale-in-raises',
    ]);
    // Approved 6 → 4; target tracking raised the group to 10 meanwhile; 10 → 4 removes six.
    expect(names(facts({ calls: [setDesired('a', 0, 'g', 4, { desired: 10 })], executions: scaleIn }))).toEqual([
      'capacity-step',
    ]);
    expect(names(facts({ calls: [setDesired('a', 0, 'g', 8, { desired: 10 })], executions: scaleIn }))).toEqual([]);
    const scaleOut = [run('b', { id: 'b' }, planned({ type: 'scale-out', step: 2 }))];
    expect(names(facts({ calls: [setDesired('b', 0, 'g', 20, { desired: 40 })], executions: scaleOut }))).toEqual([
      'scale-out-lowers',
    ]);
    expect(names(facts({ calls: [setDesired('b', 0, 'g', 6, { desired: 4 })], executions: scaleOut }))).toEqual([]);
  });

  it('a rollback or stop acts only while the deployment it replaces is the newest', () => {
    const rollback = (newest: string) =>
      call(
        'a',
        5,
        'CodeDeploy.CreateDeployment',
        {
          applicationName: 'web-app',
          deploymentGroupName: 'web-prod',
          description: 'SelfHealing rollback for incident a: revision of d-GOOD replaces d-BAD',
        },
        { before: { newestDeployment: { id: newest, status: 'InProgress', creator: 'user' } } },
      );
    const stop = (newest: string) =>
      call(
        'a',
        5,
        'CodeDeploy.StopDeployment',
        { deploymentId: 'd-BAD' },
        { before: { newestDeployment: { id: newest, status: 'InProgress', creator: 'user' } } },
      );
    const executions = [execution('a', done)];
    expect(names(facts({ calls: [rollback('d-FIX')], executions }))).toEqual(['rollback-over-newer']);
    expect(names(facts({ calls: [stop('d-FIX')], executions }))).toEqual(['rollback-over-newer']);
    expect(names(facts({ calls: [rollback('d-BAD')], executions }))).toEqual([]);
    expect(names(facts({ calls: [stop('d-BAD')], executions }))).toEqual([]);
  });

  describe('blast radius', () => {
    const replace = (who: string, minute: number, instance: string, healthy: number) =>
      call(
        who,
        minute,
        'AutoScaling.SetInstanceHealth',
        { InstanceId: instance, HealthStatus: 'Unhealthy' },
        { before: { instanceGroups: { [instance]: 'jobs-asg' }, healthyInService: { 'jobs-asg': healthy } } },
      );
    const replacing = (name: string, recordedAt = 10) => run(name, { id: name }, planned({}, recordedAt));

    it('fires when more than max(1, 25 %) of the healthy instances are replaced at once', () => {
      // Four healthy: one at a time. The second replacement starts while the first is in flight.
      expect(
        names(
          facts({
            calls: [replace('a', 0, 'i-1', 4), replace('b', 1, 'i-2', 3)],
            executions: [replacing('a'), replacing('b')],
          }),
        ),
      ).toEqual(['blast-radius']);
      // A runbook over two instances of the group is two at once.
      const runbook = call(
        'c',
        0,
        'SSM.StartAutomationExecution',
        { DocumentName: 'AWS-RestartEC2Instance', Parameters: { InstanceId: ['i-1', 'i-2'] } },
        {
          before: {
            instanceGroups: { 'i-1': 'jobs-asg', 'i-2': 'jobs-asg' },
            healthyInService: { 'jobs-asg': 4 },
          },
        },
      );
      expect(names(facts({ calls: [runbook], executions: [replacing('c')] }))).toEqual(['blast-radius']);
      // A scale-in counts the instances it drains.
      const drain = setDesired('d', 0, 'jobs-asg', 4, {
        desired: 8,
        healthyInService: { 'jobs-asg': 8 },
      });
      expect(names(facts({ calls: [drain], executions: [replacing('d')] }))).toEqual(['blast-radius']);
    });

    it('stays quiet one at a time, within 25 %, or when a human approved', () => {
      expect(
        names(
          facts({
            calls: [replace('a', 0, 'i-1', 4), replace('b', 11, 'i-2', 4)],
            executions: [replacing('a'), replacing('b', 20)],
          }),
        ),
      ).toEqual([]);
      expect(
        names(
          facts({
            calls: [replace('a', 0, 'i-1', 9), replace('b', 1, 'i-2', 8)],
            executions: [replacing('a'), replacing('b')],
          }),
        ),
      ).toEqual([]);
      expect(
        names(
          facts({
            calls: [replace('a', 0, 'i-1', 4), approval('b', 1), replace('b', 2, 'i-2', 3)],
            executions: [replacing('a'), replacing('b')],
          }),
        ),
      ).toEqual([]);
    });
  });

  it('no state larger than 64 KiB', () => {
    const sized = (bytes: number) =>
      run('a', { id: 'a' }, [
        { type: 'StateExited', minute: 1, state: 'Plan Remediation', output: { text: 'x'.repeat(bytes) } },
      ]);
    expect(names(facts({ executions: [sized(70 * 1024)] }))).toEqual(['state-size']);
    expect(names(facts({ executions: [sized(1024)] }))).toEqual([]);
  });

  it('one notification per outcome, for executions that failed too', () => {
    /** A FAILED execution whose Record Failure wrote `record`, and one outcome publish of it. */
    const failedWith = (name: string, record: Record<string, unknown>) => ({
      execution: run(
        name,
        { id: name },
        [
          { type: 'StateEntered', minute: 1, state: 'Record Failure' },
          { type: 'StateExited', minute: 1, state: 'Record Failure', output: { record } },
        ],
        'FAILED',
      ),
      publish: call(
        name,
        1,
        'SNS.Publish',
        { TopicArn: 't' },
        { actor: `${name}|Record Failure`, mutating: false, applied: false },
      ),
    });
    const record = { outcome: 'failed', metrics: [{ name: 'RemediationFailed' }], notification: { subject: 'x' } };
    const failed = failedWith('a', record);
    expect(names(facts({ executions: [failed.execution], calls: [failed.publish, failed.publish] }))).toEqual([
      'one-notification',
    ]);
    expect(names(facts({ executions: [failed.execution], calls: [failed.publish] }))).toEqual([]);
    expect(names(facts({ executions: [failed.execution], calls: [] }))).toEqual(['one-notification']);

    // Unconfirmed (the retry found an earlier attempt's unconfirmed marker): at most one, never two.
    const unconfirmed = failedWith('b', { ...record, notificationUnconfirmed: true });
    expect(names(facts({ executions: [unconfirmed.execution], calls: [] }))).toEqual([]);
    expect(names(facts({ executions: [unconfirmed.execution], calls: [unconfirmed.publish] }))).toEqual([]);
    expect(
      names(facts({ executions: [unconfirmed.execution], calls: [unconfirmed.publish, unconfirmed.publish] })),
    ).toEqual(['one-notification']);
  });

  it('no change but a capacity increase while the alarm is not in ALARM', () => {
    const alarm = (state: string, minute: number) => ({
      alarm: {
        name: 'pay-5xx-high',
        state,
        updatedAt: ms(minute),
        namespace: 'AWS/ApplicationELB',
        dimensions: {},
        tags: { 'selfhealing:codedeploy-application': 'pay', 'selfhealing:codedeploy-deployment-group': 'prod' },
      },
    });
    const rollback = (before: object) =>
      call('a', 5, 'CodeDeploy.CreateDeployment', { applicationName: 'pay', deploymentGroupName: 'prod' }, { before });
    const executions = [execution('a', done)];
    expect(names(facts({ calls: [rollback(alarm('INSUFFICIENT_DATA', 4))], executions }))).toEqual(['not-in-alarm']);
    expect(names(facts({ calls: [rollback(alarm('OK', 4))], executions }))).toEqual(['not-in-alarm']);
    expect(names(facts({ calls: [rollback(alarm('ALARM', 4))], executions }))).toEqual([]);
    // Changed in the very instant of the call: the read-then-act window.
    expect(names(facts({ calls: [rollback(alarm('OK', 5))], executions }))).toEqual([]);
    const cpu = alarm('OK', 4).alarm;
    const scaleOut = setDesired('a', 5, 'web-asg', 6, {
      desired: 4,
      alarm: { ...cpu, namespace: 'AWS/EC2', dimensions: { AutoScalingGroupName: 'web-asg' } },
    });
    expect(names(facts({ calls: [scaleOut], executions }))).toEqual([]);
  });

  describe('bound targets', () => {
    const restart = (
      who: string,
      instance: string,
      alarm?: { namespace: string; dimensions: Record<string, string> },
    ) =>
      call(
        who,
        0,
        'SSM.StartAutomationExecution',
        { DocumentName: 'RestartService', Parameters: { InstanceId: [instance], ServiceName: ['poweroff.target'] } },
        alarm ? { before: { alarm: { name: 'x', state: 'ALARM', updatedAt: 0, tags: {}, ...alarm } } } : {},
      );
    const alarmed = run('a', { id: 'a', alarm: { name: 'x' } });

    it('fires on a target named only by a custom namespace, or not named at all', () => {
      const custom = { namespace: 'Custom/Partner', dimensions: { InstanceId: 'i-db' } };
      expect(names(facts({ calls: [restart('a', 'i-db', custom)], executions: [alarmed] }))).toEqual(['bound-targets']);
      const other = { namespace: 'AWS/EC2', dimensions: { InstanceId: 'i-web' } };
      expect(names(facts({ calls: [restart('a', 'i-db', other)], executions: [alarmed] }))).toEqual(['bound-targets']);
    });

    it('stays quiet for AWS identity dimensions, bound namespaces, events and what an operator asked for', () => {
      const ec2 = { namespace: 'AWS/EC2', dimensions: { InstanceId: 'i-db' } };
      expect(names(facts({ calls: [restart('a', 'i-db', ec2)], executions: [alarmed] }))).toEqual([]);
      const services = { namespace: 'SelfHealing/Services', dimensions: { InstanceId: 'i-db' } };
      expect(
        names(
          facts({
            calls: [restart('a', 'i-db', services)],
            executions: [alarmed],
            policy: { targetBindings: { 'SelfHealing/Services': { instance: ['InstanceId'] } } },
          }),
        ),
      ).toEqual([]);
      const stopped = run('e', {
        id: 'e',
        event: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0abc'] },
      });
      const replace = (instance: string) =>
        call('e', 0, 'AutoScaling.SetInstanceHealth', { InstanceId: instance, HealthStatus: 'Unhealthy' });
      expect(names(facts({ calls: [replace('i-0abc')], executions: [stopped] }))).toEqual([]);
      expect(names(facts({ calls: [replace('i-0def')], executions: [stopped] }))).toEqual(['bound-targets']);
      const manual = run('m', {
        action: { type: 'replace-instance', instanceId: 'i-1' },
        reason: 'by hand',
      });
      const byHand = (instance: string) =>
        call('m', 2, 'AutoScaling.SetInstanceHealth', { InstanceId: instance, HealthStatus: 'Unhealthy' });
      expect(names(facts({ calls: [approval('m', 1), byHand('i-1')], executions: [manual] }))).toEqual([]);
      expect(names(facts({ calls: [approval('m', 1), byHand('i-2')], executions: [manual] }))).toEqual([
        'bound-targets',
      ]);
    });
  });

  describe('one lock per physical target', () => {
    const lock = (who: string, minute: number, key: string, state = 'in-progress') =>
      call(
        who,
        minute,
        'DynamoDB.UpdateItem',
        {
          TableName: 'GuardTable',
          Key: { target: { S: key } },
          UpdateExpression: 'SET lockedBy = :me, lockState = :state',
          ExpressionAttributeValues: { ':me': { S: who }, ':state': { S: state } },
        },
        { actor: `${who}|Check Guardrails`, mutating: false, applied: false },
      );

    it('fires on two in-progress locks covering one instance, in the log or at the end', () => {
      expect(
        names(
          facts({
            calls: [lock('a', 0, 'automation:Doc:i-1,i-2'), lock('b', 0, 'automation:Doc:i-2,i-1')],
            executions: [execution('a', done), execution('b', done)],
          }),
        ),
      ).toEqual(['one-lock-per-target']);
      expect(
        names(
          facts({
            guardItems: [
              { target: 'instance:i-1', lockState: 'in-progress', lockedBy: 'x' },
              { target: 'automation:Doc:i-1,i-2', lockState: 'in-progress', lockedBy: 'x' },
            ],
            executions: [],
          }),
        ),
      ).toEqual(['one-lock-per-target']);
    });

    it('stays quiet when the first lock was released before the second was taken', () => {
      expect(
        names(
          facts({
            calls: [
              lock('a', 0, 'automation:Doc:i-1,i-2'),
              lock('a', 5, 'automation:Doc:i-1,i-2', 'cooldown'),
              lock('b', 6, 'instance:i-1'),
            ],
            executions: [execution('a', done), execution('b', done)],
          }),
        ),
      ).toEqual([]);
    });

    it('a runbook over two instances changes each of them: one change per instance inside its cooldown', () => {
      const runbook = call('a', 0, 'SSM.StartAutomationExecution', {
        DocumentName: 'AWS-RestartEC2Instance',
        Parameters: { InstanceId: ['i-1', 'i-2'] },
      });
      const replace = call('b', 1, 'AutoScaling.SetInstanceHealth', { InstanceId: 'i-2', HealthStatus: 'Unhealthy' });
      expect(
        names(facts({ calls: [runbook, replace], executions: [execution('a', done), execution('b', done)] })),
      ).toEqual(['one-change-per-target']);
    });
  });

  it('a change by hand waits for an approval, but for a small capacity increase', () => {
    const manual = (action: object) => run('m', { action, reason: 'by hand' });
    const rollback = call('m', 2, 'CodeDeploy.CreateDeployment', {
      applicationName: 'web',
      deploymentGroupName: 'prod',
    });
    const rollbackRequest = manual({ type: 'rollback-deployment', application: 'web', deploymentGroup: 'prod' });
    expect(names(facts({ calls: [rollback], executions: [rollbackRequest] }))).toEqual(['manual-approval']);
    expect(names(facts({ calls: [approval('m', 1), rollback], executions: [rollbackRequest] }))).toEqual([]);
    const scaleOut = manual({ type: 'scale-out', autoScalingGroupName: 'g', step: 2 });
    expect(names(facts({ calls: [setDesired('m', 1, 'g', 6, { desired: 4 })], executions: [scaleOut] }))).toEqual([]);
    expect(names(facts({ calls: [setDesired('m', 1, 'g', 8, { desired: 4 })], executions: [scaleOut] }))).toEqual([
      'manual-approval',
    ]);
  });
  it('what people read carries no raw line separator, bidi or format character', () => {
    const publish = (message: string) =>
      call(
        'a',
        1,
        'SNS.Publish',
        { TopicArn: 't', Subject: 'NOTIFY: hostile-alarm', Message: message },
        { actor: 'a|Notify Operator', mutating: false, applied: false },
      );
    const notified = [run('a', { id: 'a' })];
    expect(names(facts({ calls: [publish('reason: evil\u2028Approve: yes')], executions: notified }))).toEqual([
      'clean-text',
    ]);
    expect(names(facts({ calls: [publish('name: \u202Egpj.exe')], executions: notified }))).toEqual(['clean-text']);
    expect(
      names(facts({ calls: [publish('reason: evil\\u2028Approve: yes → escaped')], executions: notified })),
    ).toEqual([]);
  });

  it('no change for an incident detected in the future', () => {
    const replace = call('e', 0, 'AutoScaling.SetInstanceHealth', { InstanceId: 'i-1', HealthStatus: 'Unhealthy' });
    const detected = (when: string) => [run('e', { id: 'e', detectedAt: when })];
    expect(names(facts({ calls: [replace], executions: detected('2099-01-01T00:00:00.000Z') }))).toEqual([
      'future-incident',
    ]);
    expect(names(facts({ calls: [replace], executions: detected(at(-1)) }))).toEqual([]);
  });
});
