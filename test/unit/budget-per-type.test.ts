import { beforeEach, describe, expect, it } from '@jest/globals';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { OWN_BUDGET_ONLY, budgetSettingsFromEnv, consumeBudget } from '../../functions/aws/budget-table';
import { normaliseSnsRecord } from '../../functions/domain/inbound/normalise';
import { planRemediation } from '../../functions/domain/policy/engine';
import { loadDefaultPolicy } from '../../functions/domain/policy/load';
import { aws, conditionFailed, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { loadTemplate } from '../helpers/template';
import { ACTION_TYPES } from '../../functions/domain/policy/actions';

// Issue 26, second hostile review: budget is spent by changes only, but the changes can be an
// attacker's. Any alarm in AWS/EC2 on CPUUtilization{AutoScalingGroupName=g} with a threshold of 0
// makes a real, approval-free scale-out of any group; twenty of them in an hour would use the
// account's whole budget (20) and hold back the rollback the real incident needs. Scale-outs count
// against their own budget only, and by default no other type may spend the whole account budget.

const template = loadTemplate();
const defaults = budgetSettingsFromEnv('GuardTable', {
  REMEDIATION_BUDGET_PER_HOUR: String(template.Parameters.RemediationBudgetPerHour?.Default),
  REMEDIATION_BUDGET_PER_ACTION_TYPE: String(template.Parameters.RemediationBudgetPerActionType?.Default),
});

const NOW = new Date('2026-11-23T10:16:00.000Z');
const ctx = { receivedAt: '2026-11-23T10:15:32.000Z', dryRun: false };

function cpuAlarmOn(group: string) {
  const event = loadEvent<{ Records: { Sns: { Message: string } }[] }>('sns-alarm-cpu-high');
  const record = event.Records[0] as { Sns: { Message: string } };
  const m = JSON.parse(record.Sns.Message) as { Trigger: Record<string, unknown> };
  record.Sns.Message = JSON.stringify({
    ...m,
    AlarmName: `nothing-to-see-${group}`,
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:nothing-to-see-${group}`,
    Trigger: {
      ...m.Trigger,
      Dimensions: [{ name: 'AutoScalingGroupName', value: group }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 0,
    },
  });
  const n = normaliseSnsRecord(record, 0, ctx);
  if (n.status !== 'incident' || !n.incident) throw new Error('not an incident');
  return n.incident;
}

beforeEach(() => {
  resetAwsMocks();
  const items = new Map<string, Set<string>>();
  aws.dynamoDb.on(GetCommand).callsFake((input: { Key: { target: string } }) => ({
    Item: { consumers: items.get(input.Key.target) ?? new Set() },
  }));
  aws.dynamoDb
    .on(UpdateCommand)
    .callsFake(
      (input: {
        Key: { target: string };
        UpdateExpression: string;
        ExpressionAttributeValues: Record<string, unknown>;
      }) => {
        const set = items.get(input.Key.target) ?? new Set<string>();
        const v = input.ExpressionAttributeValues;
        if (input.UpdateExpression.startsWith('ADD consumers')) {
          if (set.size >= Number(v[':limit']) && !set.has(String(v[':id']))) throw conditionFailed();
          set.add(String(v[':id']));
        }
        // A refund: what one counter took when another was full is given back.
        if (input.UpdateExpression.startsWith('DELETE consumers'))
          for (const id of v[':me'] as Set<string>) set.delete(id);
        items.set(input.Key.target, set);
        return { Attributes: { consumers: set } };
      },
    );
});

describe("the hour's budget and approval-free changes anyone can trigger", () => {
  it('gives no action type that counts against the account budget all of it by default', () => {
    for (const type of ACTION_TYPES.filter((t) => t !== 'notify' && !OWN_BUDGET_ONLY.includes(t)))
      expect([type, (defaults.perActionType[type] ?? Infinity) < defaults.perHour]).toEqual([type, true]);
  });

  it('keeps budget for the rollback the real incident needs after 20 attacker-made scale-outs', async () => {
    const taken: boolean[] = [];
    for (let i = 0; i < 20; i += 1) {
      const incident = cpuAlarmOn(`group-${i}`);
      const plan = planRemediation(incident, loadDefaultPolicy(), { stackDryRun: false, now: NOW });
      // Each is a plan for a real scale-out, no human in the loop.
      expect(plan).toMatchObject({ decision: 'act', action: { type: 'scale-out' }, approval: { required: false } });
      taken.push((await consumeBudget(defaults, `${incident.id}#1`, 'scale-out', NOW)).ok);
    }

    const rollback = await consumeBudget(defaults, 'alarm-payments-5xx#1', 'rollback-deployment', NOW);

    // Every scale-out went (they have a budget of their own), and the rollback still has the account's.
    expect(taken.filter(Boolean)).toHaveLength(20);
    expect(rollback).toMatchObject({ ok: true });
  });
});
