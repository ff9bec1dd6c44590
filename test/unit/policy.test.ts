import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { Incident } from '../../functions/domain/incident';
import { actionFromAlarmTags, planRemediation } from '../../functions/domain/policy/engine';
import { loadDefaultPolicy, loadPolicy } from '../../functions/domain/policy/load';
import { renderTemplate } from '../../functions/domain/policy/template';
import { jsonSchemas, serialise } from '../../scripts/json-schemas';
import { incidentFrom } from '../helpers/incidents';
import { loadEvent } from '../helpers/fixtures';
import { type ManualRequest, type PlanTaskInput, toIncident } from '../../functions/domain/manual';

const policy = loadDefaultPolicy();
const now = new Date('2026-11-23T10:15:33.000Z');
const plan = (incident: Incident, stackDryRun = false) => planRemediation(incident, policy, { stackDryRun, now });

/** The default policy with its tag opt-in rule trusting these targets besides the alarm's own. */
const trusting = (allowedTargets: string[]) =>
  loadPolicy({
    ...policy,
    rules: policy.rules.map((r) =>
      r.trustAlarmTags ? { ...r, trustAlarmTags: { ...r.trustAlarmTags, allowedTargets } } : r,
    ),
  });
const planWith = (p: ReturnType<typeof loadPolicy>, incident: Incident) =>
  planRemediation(incident, p, { stackDryRun: false, now });

function withTags(incident: Incident, tags: Record<string, string>): Incident {
  if (!incident.alarm) throw new Error('not an alarm incident');
  return { ...incident, alarm: { ...incident.alarm, tags } };
}

describe('default remediation policy', () => {
  it('validates, and its committed JSON Schemas match the zod schemas', () => {
    expect(policy.rules.length).toBeGreaterThanOrEqual(7);
    for (const [path, schema] of Object.entries(jsonSchemas())) {
      expect(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', path), 'utf8')).toBe(
        serialise(schema),
      );
    }
  });

  it('scales out an Auto Scaling group on high CPU, by a step within a cap', () => {
    const result = plan(incidentFrom('sns-alarm-cpu-high'));

    expect(result).toMatchObject({
      decision: 'act',
      rule: 'high-cpu-scale-out',
      actionSource: 'rule',
      action: { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 2, maxCapacity: 20 },
      dryRun: false,
      progress: { intervalSeconds: 30, maxPolls: 20 },
      verify: { enabled: true, intervalSeconds: 60, maxPolls: 15 },
    });
    expect(result.explanation).toContain('Action: scale out web-asg by 2 (cap 20).');
  });

  it('replaces an instance whose instance status check failed', () => {
    expect(plan(incidentFrom('sns-alarm-status-check'))).toMatchObject({
      rule: 'instance-status-check-replace',
      action: { type: 'replace-instance', instanceId: 'i-0abc123def4567890' },
    });
  });

  it('restarts an instance whose system status check failed with AWS-RestartEC2Instance', () => {
    const incident = incidentFrom('sns-alarm-status-check');
    const system = { ...incident, alarm: { ...incident.alarm!, metricName: 'StatusCheckFailed_System' } };

    expect(plan(system)).toMatchObject({
      rule: 'system-status-check-restart',
      action: {
        type: 'run-automation',
        documentName: 'AWS-RestartEC2Instance',
        parameters: { InstanceId: ['i-0abc123def4567890'] },
      },
    });
  });

  it("restarts an alarm's selfhealing:service with the stack's RestartService runbook, and starts the ladder at its next step without the stack's name", () => {
    const incident = withTags(incidentFrom('sns-alarm-status-check'), { 'selfhealing:service': 'worker' });
    // The policy binds its health checks' namespace (safety.targetBindings): its InstanceId names the instance.
    const serviceAlarm = {
      ...incident,
      alarm: { ...incident.alarm!, namespace: 'SelfHealing/Services', metricName: 'HealthCheckFailed' },
    };
    const platform = { restartServiceDocument: 'prod-healing-RestartService' };

    expect(planRemediation(serviceAlarm, policy, { stackDryRun: false, now, platform })).toMatchObject({
      rule: 'service-unhealthy-restart',
      action: {
        type: 'run-automation',
        documentName: 'prod-healing-RestartService',
        useAutomationRole: true,
        parameters: { InstanceId: ['i-0abc123def4567890'], ServiceName: ['worker'] },
      },
    });
    // Without the stack's runbook name the ladder starts at its second step, and says why.
    const withoutRunbook = plan(serviceAlarm);
    expect(withoutRunbook).toMatchObject({
      decision: 'act',
      action: { type: 'replace-instance' },
      escalation: { step: 1, of: 2 },
    });
    expect(withoutRunbook.explanation).toContain(
      'Escalation step 1 (run-automation) left out: no value for {{platform.restartServiceDocument}}.',
    );
  });

  it('rolls back a CodeDeploy-managed service whose error rate is up, also for a metric-math alarm', () => {
    for (const fixture of ['sns-alarm-error-rate', 'sns-alarm-metric-math']) {
      expect(plan(incidentFrom(fixture))).toMatchObject({
        rule: 'error-rate-rollback',
        action: { type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' },
      });
    }
  });

  it('notifies a human about a failed deployment and about launch failures', () => {
    expect(plan(incidentFrom('eventbridge-codedeploy-failure'))).toMatchObject({
      rule: 'deployment-failure-notify',
      action: { type: 'notify', severity: 'critical' },
      verify: { enabled: false },
    });
    expect(plan(incidentFrom('eventbridge-asg-launch-unsuccessful'))).toMatchObject({
      rule: 'launch-failure-notify',
      action: { type: 'notify' },
    });
  });

  it('has the Auto Scaling group replace a stopped instance', () => {
    expect(plan(incidentFrom('eventbridge-ec2-stopped'))).toMatchObject({
      rule: 'stopped-instance-replace',
      action: { type: 'replace-instance', instanceId: 'i-0abc123def4567890' },
      verify: { enabled: false },
    });
  });

  it('skips what no rule covers, without paging anyone', () => {
    expect(plan(incidentFrom('sns-alarm-composite'))).toMatchObject({
      decision: 'skip',
      reason: 'NoMatchingRule',
      notifyOnSkip: false,
    });
    expect(plan(incidentFrom('eventbridge-ec2-terminated'))).toMatchObject({
      decision: 'skip',
      reason: 'NoMatchingRule',
    });
  });

  it('skips an alarm that is not in ALARM (a manual re-run of an OK transition)', () => {
    const incident = incidentFrom('sns-alarm-ok');

    expect(plan(incident)).toMatchObject({ decision: 'skip', reason: 'NotInAlarm' });
  });

  it('lets alarm tags choose the action, target and step, within the rule limits', () => {
    // The queue's alarm names no group: the rule has to list the group it may scale.
    expect(planWith(trusting(['api-workers-asg']), incidentFrom('sns-alarm-tagged'))).toMatchObject({
      decision: 'act',
      rule: 'alarm-tag-opt-in',
      actionSource: 'alarm-tags',
      action: { type: 'scale-out', autoScalingGroupName: 'api-workers-asg', step: 3, maxCapacity: 20 },
    });
  });

  it('refuses tags that ask for too much or make no sense, and pages about it', () => {
    const tagged = incidentFrom('sns-alarm-tagged');

    expect(plan(withTags(tagged, { 'selfhealing:action': 'scale-out', 'selfhealing:step': '50' }))).toMatchObject({
      decision: 'skip',
      reason: 'InvalidAlarmTags',
      notifyOnSkip: true,
    });
    expect(plan(withTags(tagged, { 'selfhealing:action': 'reboot-everything' }))).toMatchObject({
      decision: 'skip',
      reason: 'InvalidAlarmTags',
    });
    expect(plan(withTags(tagged, { 'selfhealing:action': 'run-automation' }))).toMatchObject({
      decision: 'skip',
      reason: 'InvalidAlarmTags',
    });
    expect(
      actionFromAlarmTags(
        { 'selfhealing:action': 'scale-in' },
        { allowedActions: ['scale-out'], maxStep: 2, allowedTargets: [], approvalRequired: [], allowedDocuments: [] },
      ),
    ).toMatchObject({ ok: false, reason: 'AlarmTagActionNotAllowed' });
  });

  it('builds a rollback and a runbook from tags, for targets the rule allows, each waiting for a human', () => {
    const tagged = incidentFrom('sns-alarm-tagged');
    const allowing = trusting(['api/api-prod', 'i-0123456789abcdef0']);

    expect(
      planWith(
        allowing,
        withTags(tagged, { 'selfhealing:action': 'rollback-deployment', 'selfhealing:target': 'api/api-prod' }),
      ),
    ).toMatchObject({
      action: { type: 'rollback-deployment', application: 'api', deploymentGroup: 'api-prod' },
      approval: { required: true },
    });
    expect(
      planWith(
        allowing,
        withTags(tagged, {
          'selfhealing:action': 'run-automation',
          'selfhealing:document': 'AWS-RestartEC2Instance',
          'selfhealing:target': 'i-0123456789abcdef0',
        }),
      ),
    ).toMatchObject({
      action: {
        type: 'run-automation',
        documentName: 'AWS-RestartEC2Instance',
        parameters: { InstanceId: ['i-0123456789abcdef0'] },
      },
      approval: { required: true },
    });
  });

  // Issue 26: a tag naming any runbook (AWS-TerminateEC2Instance…) on an instance the rule allows.
  it('refuses a runbook a tag names unless the rule lists it in allowedDocuments, and pages', () => {
    const tagged = withTags(incidentFrom('sns-alarm-tagged'), {
      'selfhealing:action': 'run-automation',
      'selfhealing:document': 'AWS-TerminateEC2Instance',
      'selfhealing:target': 'i-0123456789abcdef0',
    });

    expect(planWith(trusting(['i-0123456789abcdef0']), tagged)).toMatchObject({
      decision: 'skip',
      reason: 'ParameterNotAllowed',
      notifyOnSkip: true,
    });
  });

  // Issue 17, item 1: a tagged alarm in any namespace could scale, replace, restart or roll back
  // anything managed, another team's included, and a tag-driven rollback skipped the approval the
  // policy's own rollback rule requires.
  it.each([
    ['scale-out', { 'selfhealing:target': 'payments-asg' }],
    ['replace-instance', { 'selfhealing:target': 'i-0ffffffffffffffff' }],
    ['rollback-deployment', { 'selfhealing:target': 'billing/billing-prod' }],
    [
      'run-automation',
      { 'selfhealing:target': 'i-0db0000000000000', 'selfhealing:document': 'AWS-RestartEC2Instance' },
    ],
  ])('refuses a tag-driven %s of a target the alarm does not name, and pages', (action, tags) => {
    const attack = withTags(incidentFrom('sns-alarm-tagged'), { 'selfhealing:action': action, ...tags });

    expect(plan(attack)).toMatchObject({ decision: 'skip', reason: 'TargetNotNamedByAlarm', notifyOnSkip: true });
  });

  it("accepts a tag that names the alarm's own group, and caps it as the rule says", () => {
    const cpu = incidentFrom('sns-alarm-cpu-high'); // dimensions: AutoScalingGroupName web-asg
    const own = withTags(cpu, { 'selfhealing:action': 'scale-out', 'selfhealing:target': 'web-asg' });

    expect(plan(own)).toMatchObject({
      decision: 'act',
      actionSource: 'alarm-tags',
      action: { type: 'scale-out', autoScalingGroupName: 'web-asg', maxCapacity: 20 },
    });
  });

  it('refuses a tag-driven scale-in unless the rule sets a floor, and then applies it and asks a human', () => {
    const cpu = incidentFrom('sns-alarm-cpu-high');
    const shrink = withTags(cpu, { 'selfhealing:action': 'scale-in', 'selfhealing:step': '3' });
    const floored = loadPolicy({
      ...policy,
      rules: policy.rules.map((r) =>
        r.trustAlarmTags ? { ...r, trustAlarmTags: { ...r.trustAlarmTags, minCapacity: 2 } } : r,
      ),
    });

    expect(plan(shrink)).toMatchObject({ decision: 'skip', reason: 'AlarmTagActionNotAllowed' });
    expect(planWith(floored, shrink)).toMatchObject({
      decision: 'act',
      action: { type: 'scale-in', autoScalingGroupName: 'web-asg', step: 3, minCapacity: 2 },
      approval: { required: true },
    });
  });

  // Issue 17, item 14: a manual +150 % scale-out was applied without a human.
  it("holds a manual execution to the policy's approval thresholds", () => {
    const request = loadEvent<{ input: ManualRequest; execution: PlanTaskInput['execution'] }>('plan-manual');
    const incident = toIncident({ ...request, input: { ...request.input, dryRun: false } });

    expect(plan(incident)).toMatchObject({
      decision: 'act',
      actionSource: 'manual',
      approval: { required: false, capacityIncreaseOverPercent: 50 },
    });
  });

  it('skips and pages when a matched rule cannot resolve its target', () => {
    const incident = incidentFrom('sns-alarm-cpu-high');
    const noGroup = { ...incident, target: {} };

    expect(plan(noGroup)).toMatchObject({
      decision: 'skip',
      reason: 'TargetUnresolved',
      rule: 'high-cpu-scale-out',
      notifyOnSkip: true,
    });
    expect(plan(noGroup).explanation).toContain(
      'Cannot resolve the target: no value for {{target.autoScalingGroupName}}.',
    );
  });

  it('records every source of dry run', () => {
    const incident = { ...incidentFrom('sns-alarm-cpu-high'), dryRun: true };

    expect(plan(incident, true)).toMatchObject({ dryRun: true, dryRunSources: ['stack', 'incident'] });
    expect(plan({ ...incident, dryRun: false })).toMatchObject({ dryRun: false, dryRunSources: [] });
    const ruleInDryRun = loadPolicy({
      version: 1,
      rules: [{ name: 'cautious', match: {}, dryRun: true, action: { type: 'scale-out' } }],
    });
    expect(planRemediation({ ...incident, dryRun: false }, ruleInDryRun, { stackDryRun: false, now })).toMatchObject({
      dryRun: true,
      dryRunSources: ['rule'],
    });
  });
});

describe('policy rules', () => {
  const rule = (overrides: object) => ({ name: 'r', match: {}, action: { type: 'notify' }, ...overrides });

  it('first match wins, and disabled rules are passed over', () => {
    const custom = loadPolicy({
      version: 1,
      rules: [
        rule({ name: 'off', enabled: false, match: { alarmName: { prefix: 'web-' } }, action: { type: 'scale-in' } }),
        rule({
          name: 'by-pattern',
          match: { alarmName: { pattern: '^web-.*-high$' }, namespace: ['AWS/EC2', 'AWS/ECS'] },
        }),
        rule({ name: 'by-name', match: { alarmName: 'web-cpu-high' }, action: { type: 'scale-out' } }),
      ],
    });

    expect(planRemediation(incidentFrom('sns-alarm-cpu-high'), custom, { stackDryRun: false, now }).rule).toBe(
      'by-pattern',
    );
  });

  it('matches dimensions and tags by value, by absence and by event fields', () => {
    const custom = loadPolicy({
      version: 1,
      rules: [
        rule({
          name: 'tag-absent',
          match: { alarmTags: { team: { exists: false } }, dimensions: { AutoScalingGroupName: 'web-asg' } },
        }),
        rule({ name: 'event-state', match: { event: { source: 'aws.ec2', state: ['stopped', 'terminated'] } } }),
      ],
    });
    const options = { stackDryRun: false, now };

    expect(planRemediation(incidentFrom('sns-alarm-cpu-high'), custom, options).rule).toBe('tag-absent');
    expect(planRemediation(incidentFrom('eventbridge-alarm-state-change'), custom, options).decision).toBe('skip');
    expect(planRemediation(incidentFrom('eventbridge-ec2-terminated'), custom, options).rule).toBe('event-state');
  });

  // Issue 17, item 13: `^(a+)+$` passed validation, and about 34 characters hung the planner.
  it('matches even a catastrophic pattern in linear time (RE2)', () => {
    const custom = loadPolicy({
      version: 1,
      rules: [
        {
          name: 'nested-quantifier',
          match: { alarmName: { pattern: '^(a+)+$' } },
          action: { type: 'notify', severity: 'warning' },
        },
      ],
    });
    const long = incidentFrom('sns-alarm-cpu-high');
    const attack = {
      ...long,
      alarm: { ...(long.alarm as NonNullable<Incident['alarm']>), name: `${'a'.repeat(250)}!` },
    };

    const started = process.hrtime.bigint();
    const verdict = planRemediation(attack, custom, { stackDryRun: false, now });
    const tookMs = Number(process.hrtime.bigint() - started) / 1e6;

    expect(verdict).toMatchObject({ decision: 'skip', reason: 'NoMatchingRule' });
    // A backtracking engine takes longer than the age of the universe on this input.
    expect(tookMs).toBeLessThan(5_000);
  });

  it('rejects backreferences and lookaround, which RE2 cannot run in linear time', () => {
    const withBackreference = () =>
      loadPolicy({
        version: 1,
        rules: [
          {
            name: 'backref',
            match: { alarmName: { pattern: '(a)\\1' } },
            action: { type: 'notify', severity: 'warning' },
          },
        ],
      });
    expect(withBackreference).toThrow('must be a valid RE2 regular expression');
  });

  it('rejects a placeholder no incident or stack provides, at load', () => {
    const typo = () =>
      loadPolicy({
        version: 1,
        rules: [
          {
            name: 'typo',
            match: { namespace: 'AWS/EC2' },
            action: { type: 'scale-out', autoScalingGroupName: '{{target.autoscalingGroupName}}', step: 1 },
          },
        ],
      });
    expect(typo).toThrow('no incident or stack provides {{target.autoscalingGroupName}}');
  });

  it('rejects a bad policy naming every offending field', () => {
    let message = '';
    try {
      loadPolicy({
        version: 1,
        rules: [
          rule({ name: 'Bad Name', match: { alarmName: { pattern: '([' } } }),
          rule({ name: 'dup', action: { type: 'scale-sideways' } }),
          rule({ name: 'dup', action: { type: 'scale-out', step: 0 }, match: { metric: 'CPU' } }),
        ],
      });
    } catch (error) {
      expect((error as Error).name).toBe('InvalidPolicyError');
      message = (error as Error).message;
    }
    expect(message).toContain('rules.0.name: must be kebab-case');
    expect(message).toContain('rules.0.match.alarmName.pattern: must be a valid RE2 regular expression');
    expect(message).toContain('rules.1.action.type: Invalid discriminator value');
    expect(message).toContain('rules.2.action.step: Too small: expected number to be >=1');
    expect(message).toContain('rules.2.match: Unrecognized key: "metric"');
    expect(() => loadPolicy({ version: 1, rules: [rule({ name: 'dup' }), rule({ name: 'dup' })] })).toThrow(
      /rules\.1\.name: duplicate rule name "dup"/,
    );
  });
});

describe('templates', () => {
  it('fills placeholders from the incident and fails loudly on a missing value', () => {
    const incident = incidentFrom('sns-alarm-cpu-high');

    expect(renderTemplate('{{target.autoScalingGroupName}}-{{alarm.dimensions.AutoScalingGroupName}}', incident)).toBe(
      'web-asg-web-asg',
    );
    expect(() => renderTemplate('{{target.instanceId}}', incident)).toThrow('no value for {{target.instanceId}}');
  });
});

describe('issue 7: ladders, change awareness, approval thresholds, shadow mode, maximum age', () => {
  const cpu = incidentFrom('sns-alarm-cpu-high');
  const rule = (extra: object) => ({ name: 'r', match: { metricName: 'CPUUtilization' }, ...extra });
  const one = (extra: object, policyExtra: object = {}) =>
    loadPolicy({ version: 1, ...policyExtra, rules: [rule(extra)] });
  const scaleOut = { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 2 };

  it('plans every rung of a ladder with its own recovery timeout, ending on a human', () => {
    const ladder = one({
      escalation: [
        { action: scaleOut, verify: { timeoutSeconds: 300 } },
        { action: { type: 'replace-instance', instanceId: 'i-1' } },
        { action: { type: 'notify' } },
      ],
    });
    const result = planRemediation(cpu, ladder, { stackDryRun: false, now });

    expect(result).toMatchObject({
      action: scaleOut,
      verify: { intervalSeconds: 60, maxPolls: 5 },
      escalation: { step: 1, of: 3, hasNext: true },
    });
    expect(result.escalation.steps.map((s) => s.action.type)).toEqual(['scale-out', 'replace-instance', 'notify']);
    expect(result.escalation.steps[2]?.verify.enabled).toBe(false);
  });

  it('refuses ladders that do not end on a human, or put one in the middle, and rules with both an action and a ladder', () => {
    const bad = (extra: object) => () => one(extra);
    expect(bad({ escalation: [{ action: scaleOut }, { action: scaleOut }] })).toThrow(
      'the last step of an escalation must be `notify`: a human',
    );
    expect(
      bad({ escalation: [{ action: { type: 'notify' } }, { action: scaleOut }, { action: { type: 'notify' } }] }),
    ).toThrow('only the last step of an escalation may be `notify`');
    expect(bad({ action: scaleOut, escalation: [{ action: scaleOut }, { action: { type: 'notify' } }] })).toThrow(
      'a rule needs exactly one of `action` and `escalation`',
    );
  });

  it('asks for approval by environment or above a capacity threshold, from the rule or the policy', () => {
    const byEnv = one({ action: scaleOut }, { approval: { environments: ['prod'] } });
    expect(planRemediation(cpu, byEnv, { stackDryRun: false, now, environment: 'prod' }).approval).toMatchObject({
      required: true,
    });
    expect(planRemediation(cpu, byEnv, { stackDryRun: false, now, environment: 'staging' }).approval).toMatchObject({
      required: false,
    });
    const byCapacity = one({ action: scaleOut, approval: { capacityIncreaseOverPercent: 50 } });
    expect(planRemediation(cpu, byCapacity, { stackDryRun: false, now }).approval).toEqual({
      required: false,
      timeoutSeconds: 3600,
      capacityIncreaseOverPercent: 50,
    });
    // A rule's own setting wins over the policy's.
    expect(
      planRemediation(cpu, one({ action: scaleOut, approval: 'none' }, { approval: { environments: ['prod'] } }), {
        stackDryRun: false,
        now,
        environment: 'prod',
      }).approval.required,
    ).toBe(false);
  });

  it('in shadow mode (rule or stack) plans a dry run that keeps watching the alarm, with no approval and no climbing', () => {
    const shadowRule = one({
      mode: 'shadow',
      escalation: [{ action: scaleOut }, { action: { type: 'notify' } }],
      approval: 'required',
    });
    const result = planRemediation(cpu, shadowRule, { stackDryRun: false, now });
    expect(result).toMatchObject({
      shadow: true,
      dryRun: true,
      dryRunSources: ['shadow'],
      approval: { required: false },
      verify: { enabled: true },
      escalation: { hasNext: false },
    });
    expect(planRemediation(cpu, one({ action: scaleOut }), { stackDryRun: false, now, shadow: true })).toMatchObject({
      shadow: true,
      dryRun: true,
    });
  });

  it('skips an incident older than its maximum age (Stale), and stamps a deadline on the rest', () => {
    const later = new Date(Date.parse(cpu.detectedAt) + 7201_000);
    expect(planRemediation(cpu, policy, { stackDryRun: false, now: later })).toMatchObject({
      decision: 'skip',
      reason: 'Stale',
      notifyOnSkip: true,
    });
    expect(
      planRemediation(cpu, one({ action: scaleOut, maxIncidentAgeSeconds: 600 }), { stackDryRun: false, now }).notAfter,
    ).toBe(new Date(Date.parse(cpu.detectedAt) + 600_000).toISOString());
  });

  it('looks for changes in the window before the alarm only for change-aware rules', () => {
    // The alarm names its service's deployment group with its tags (what binds a rollback to it), as ingest reads them.
    const tagged = {
      ...withTags(cpu, {
        'selfhealing:codedeploy-application': 'web-app',
        'selfhealing:codedeploy-deployment-group': 'web-prod',
      }),
      target: { ...cpu.target, codedeploy: { application: 'web-app', deploymentGroup: 'web-prod' } },
    };
    const aware = planRemediation(tagged, one({ action: scaleOut, preferRollbackAfterChange: { withinMinutes: 20 } }), {
      stackDryRun: false,
      now,
    });
    expect(aware.changeCheck).toEqual({
      enabled: true,
      since: new Date(Date.parse(cpu.detectedAt) - 20 * 60_000).toISOString(),
      until: cpu.detectedAt,
      application: 'web-app',
      deploymentGroup: 'web-prod',
      autoScalingGroupName: 'web-asg',
    });
    expect(planRemediation(tagged, one({ action: scaleOut }), { stackDryRun: false, now }).changeCheck).toEqual({
      enabled: false,
    });
  });
});
