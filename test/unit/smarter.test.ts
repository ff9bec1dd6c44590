import { describe, expect, it } from '@jest/globals';
import { budgetWindow, parsePerActionType } from '../../functions/aws/budget-table';
import { preferRollback } from '../../functions/domain/change-correlation';
import { climb } from '../../functions/domain/escalation';
import { describeOutcome } from '../../functions/domain/outcome';
import { planRemediation } from '../../functions/domain/policy/engine';
import { loadPolicy } from '../../functions/domain/policy/load';
import { shadowEntries, shadowVerdicts } from '../../local/shadow-report';
import { incidentFrom } from '../helpers/incidents';

const now = new Date('2026-11-23T10:16:00.000Z');
const incident = incidentFrom('sns-alarm-cpu-high');
const ladderPolicy = loadPolicy({
  version: 1,
  rules: [
    {
      name: 'ladder',
      match: { metricName: 'CPUUtilization' },
      escalation: [
        { action: { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 2 }, verify: { timeoutSeconds: 300 } },
        { action: { type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' } },
        { action: { type: 'notify', severity: 'critical' } },
      ],
      approval: 'required',
    },
  ],
});

describe('climbing the ladder', () => {
  const plan = planRemediation(incident, ladderPolicy, { stackDryRun: false, now });
  const applied = {
    applied: true,
    dryRun: false,
    description: 'set web-asg desired capacity 4 → 6',
    watch: { kind: 'none' as const },
    appliedAt: '2026-11-23T10:16:10.000Z',
  };
  const verification = {
    status: 'pending' as const,
    attempt: 3,
    nextCheckSeconds: 0,
    exhausted: true,
    detail: 'web-cpu-high is still ALARM',
  };

  // Sweep seed 64: the first rung changed the estate, the second failed before its call; the
  // record said nothing was started.
  it('counts RemediationStarted when an earlier rung made its change and the last one failed before its own', () => {
    const { next } = climb({ incident, plan, applied, verification }, now);
    const record = describeOutcome(
      { outcome: 'failed', execution: 'exec-1', state: { ...next, error: { Error: 'Sandbox.Timedout' } } } as never,
      true,
    );

    expect(record.metrics.map((m) => m.name)).toContain('RemediationStarted');
  });

  it('records the rung left behind and moves the plan to the next one, without the first rung’s age limit', () => {
    const { left, next } = climb({ incident, plan, applied, verification }, now);

    expect(left).toMatchObject({
      step: 1,
      actionType: 'scale-out',
      result: 'not-recovered',
      startedAt: applied.appliedAt,
      detail: 'web-cpu-high is still ALARM',
    });
    expect(next.plan).toMatchObject({
      action: { type: 'rollback-deployment' },
      escalation: { step: 2, of: 3, hasNext: true },
      approval: { required: true },
    });
    expect(next.plan.notAfter).toBeUndefined();
    expect(next.plan.explanation.at(-1)).toBe(
      'Step 1 (scale out web-asg by 2) did not bring web-cpu-high back to OK in time: escalating to step 2 of 3, roll back web-app/web-prod.',
    );
    expect(next.escalation.steps).toEqual([left]);
    expect(Object.keys(next)).toEqual(['incident', 'plan', 'escalation']);
  });

  it('asks nobody to approve the last rung: telling a human changes nothing', () => {
    const second = climb({ incident, plan, applied, verification }, now).next;
    const third = climb({ ...second, verification }, now).next;
    expect(third.plan).toMatchObject({
      action: { type: 'notify' },
      escalation: { step: 3, hasNext: false },
      approval: { required: false },
    });
    expect(third.escalation.steps.map((s) => s.step)).toEqual([1, 2]);
    expect(() => climb({ ...third, verification }, now)).toThrow('No escalation step after 3 of 3');
  });
});

describe('change-aware choice', () => {
  const plan = planRemediation(incident, ladderPolicy, { stackDryRun: false, now });
  const refresh = {
    kind: 'instance-refresh' as const,
    id: 'ir-1',
    resource: 'web-asg',
    status: 'Successful',
    minutesBeforeAlarm: 6,
    description: 'instance refresh ir-1 of web-asg finished 6 min before the alarm',
  };

  it('asks a human instead of scaling out onto the launch template an instance refresh just rolled out', () => {
    const result = preferRollback(plan, refresh);
    expect(result).toMatchObject({
      action: { type: 'notify', severity: 'critical' },
      actionSource: 'change-correlation',
      correlatedChange: refresh,
      escalation: { hasNext: false },
    });
    expect(result.action?.type === 'notify' && result.action.message).toContain('rollback-instance-refresh');
  });

  it('leaves the plan as it was, and says so, when nothing changed', () => {
    const result = preferRollback(plan, undefined);
    expect(result.action).toEqual(plan.action);
    expect(result.explanation.at(-1)).toBe(
      'Change-aware: no deployment or instance refresh in the window; keeping scale out web-asg by 2.',
    );
  });
});

describe('remediation budget settings', () => {
  it('reads per-type budgets and names a bad entry', () => {
    expect(parsePerActionType('rollback-deployment=5, scale-out=10')).toEqual({
      'rollback-deployment': 5,
      'scale-out': 10,
    });
    expect(parsePerActionType('')).toEqual({});
    expect(() => parsePerActionType('reboot=3')).toThrow(
      'RemediationBudgetPerActionType: "reboot=3" is not <action type>=<whole number>',
    );
  });

  it('counts in clock hours, resetting on the hour', () => {
    expect(budgetWindow(new Date('2026-11-23T10:59:59.000Z'))).toEqual({
      id: '2026-11-23T10',
      resetsAt: new Date('2026-11-23T11:00:00.000Z'),
    });
  });
});

describe('shadow report', () => {
  const entry = (
    rule: string,
    selfRecovered: boolean,
    decision: 'would-act' | 'would-skip' | 'would-fail' = 'would-act',
  ) => ({ rule, incident: 'i', decision, selfRecovered, ...(selfRecovered ? { timeToSelfRecoverSeconds: 120 } : {}) });
  const options = { minDecisions: 3, maxSelfRecoveryPercent: 50 };

  it('calls a rule safe to activate only with enough clean decisions whose alarms did not recover by themselves', () => {
    const verdicts = shadowVerdicts(
      [
        entry('a', false),
        entry('a', false),
        entry('a', true),
        entry('b', true),
        entry('b', true),
        entry('b', false),
        entry('c', false),
        entry('d', false),
        entry('d', false),
        entry('d', false, 'would-fail'),
      ],
      options,
    );
    expect(verdicts.map((v) => [v.rule, v.verdict])).toEqual([
      ['a', 'safe to activate'],
      ['b', 'not needed'],
      ['c', 'keep in shadow'],
      ['d', 'fix first'],
    ]);
    expect(verdicts[1]).toMatchObject({ selfRecoveryRate: 66.7, medianSelfRecoverSeconds: 120 });
  });

  it('reads decisions from record-outcome log lines, CloudWatch Logs exports and drill reports', () => {
    const record = {
      rule: 'a',
      incidentId: 'x',
      outcome: 'shadow',
      shadow: { decision: 'would-act', selfRecovered: true, timeToSelfRecoverSeconds: 60 },
    };
    const line = JSON.stringify({ level: 'INFO', message: 'Remediation outcome', record });
    expect(shadowEntries(`${line}\nnot json\n${line}`)).toHaveLength(2);
    expect(shadowEntries(JSON.stringify({ events: [{ message: line }] }))).toEqual([
      { rule: 'a', incident: 'x', decision: 'would-act', selfRecovered: true, timeToSelfRecoverSeconds: 60 },
    ]);
    expect(
      shadowEntries(
        JSON.stringify({
          incidents: [
            { rule: 'a', incident: 'x', shadow: record.shadow },
            { rule: 'b', incident: 'y' },
          ],
        }),
      ),
    ).toHaveLength(1);
  });
});
