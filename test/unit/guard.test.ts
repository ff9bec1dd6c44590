import { beforeEach, describe, expect, it } from '@jest/globals';
import { forgetKillSwitch } from '../../functions/aws/kill-switch';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { handler } from '../../functions/guard/handler';
import { targetKeysOf } from '../../functions/domain/targets';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, ingested, resetAwsMocks, untilAlsoSent } from '../helpers/aws-mocks';
import type { Incident } from '../../functions/domain/incident';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) => handler(event, lambdaContext('GuardFunction')) as Promise<Record<string, unknown>>;
const killSwitch = (value: 'true' | 'false') =>
  aws.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: process.env.PAUSE_PARAMETER_NAME, Value: value } });

beforeEach(() => {
  resetAwsMocks();
  // The guard caches the kill switch for 60 s, as on Lambda: each test reads it afresh.
  forgetKillSwitch();
});

describe('GuardFunction', () => {
  it('holds every change back while the kill switch is on, even when the guard table cannot be read, and writes nothing', async () => {
    killSwitch('true');
    aws.dynamoDb.on(GetCommand).rejects(awsError('InternalServerError', 500));

    await expect(invoke(loadEvent('guard-acquire'))).resolves.toMatchObject({ decision: 'skip', reason: 'Paused' });
    expect(aws.dynamoDb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('reads the kill switch and the target together, then takes the lock and only looks at the budget', async () => {
    aws.ssm.on(GetParameterCommand).callsFake(async () => {
      await untilAlsoSent(() => aws.dynamoDb.commandCalls(GetCommand).length > 0, 'The kill switch read');
      return { Parameter: { Name: process.env.PAUSE_PARAMETER_NAME, Value: 'false' } };
    });
    aws.dynamoDb.on(GetCommand).resolves({});
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });

    await expect(invoke(loadEvent('guard-acquire'))).resolves.toMatchObject({
      decision: 'proceed',
      lockAcquired: true,
      targetKey: 'asg:web-asg',
      targetKeys: ['asg:web-asg'],
      round: { n: 0 },
    });
    // The budget is taken right before the call (only changes spend it): the guard writes the lock alone.
    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.Key?.target));
    expect(writes).toEqual(['asg:web-asg']);
  });

  it('fails with a named, retryable error when the guard table cannot be read and the kill switch is off', async () => {
    killSwitch('false');
    aws.dynamoDb.on(GetCommand).rejects(awsError('InternalServerError', 500));

    await expect(invoke(loadEvent('guard-acquire'))).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(aws.dynamoDb).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('the plan step in the same function', () => {
  it('plans from the policy when the state passes step "plan", reading only who started the execution', async () => {
    const event = loadEvent<{ input: Incident }>('plan-incident');
    ingested(event.input);

    await expect(invoke(event)).resolves.toMatchObject({
      incident: { id: 'alarm-web-cpu-high-f7043769cb7b8bad5936' },
      plan: { rule: 'high-cpu-scale-out', action: { type: 'scale-out' }, safety: { startedBy: 'ingest' } },
    });
    expect(aws.ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
    expect(aws.dynamoDb.commandCalls(GetCommand).map((c) => c.args[0].input.Key)).toEqual([
      { target: 'ingested:alarm-web-cpu-high-f7043769cb7b8bad5936' },
    ]);
    expect(aws.dynamoDb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('takes an incident ingest did not record, or whose content differs from what it recorded, as started by a person', async () => {
    const event = loadEvent<{ input: Incident }>('plan-incident');
    ingested(event.input);
    aws.dynamoDb.on(GetCommand).resolves({});
    const forged = { ...event, input: { ...event.input, summary: `${event.input.summary} (edited)` } };
    const other = { ...event, input: { ...event.input, id: 'alarm-never-ingested' } };

    for (const input of [forged, other])
      await expect(invoke(input)).resolves.toMatchObject({ plan: { safety: { startedBy: 'operator' } } });
  });

  it("rejects a plan step's bad input by the plan's own schema, naming the field", async () => {
    await expect(invoke({ step: 'plan', input: {} })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('execution'),
    });
  });
});

describe('one lock per physical instance', () => {
  // The platform's own AWS-RestartEC2Instance stops the instance; the "stopped" event that raises must
  // find the instance locked by the restart, not replace it (Guard skips InProgress, then Cooldown).
  it('gives a runbook on one instance and a replacement of that instance the same lock', () => {
    const restart = targetKeysOf({
      type: 'run-automation',
      documentName: 'AWS-RestartEC2Instance',
      parameters: { InstanceId: ['i-0abc123def4567890'] },
    } as never);
    const replace = targetKeysOf({ type: 'replace-instance', instanceId: 'i-0abc123def4567890' } as never);

    expect(restart).toEqual(['instance:i-0abc123def4567890']);
    expect(replace).toEqual(restart);
  });

  // Issue 26: a runbook over two instances locked "automation:<doc>:a,b", and "…:b,a" from another
  // request: the database was restarted three times in 30 s.
  it('locks a runbook over several instances on each instance, in one order whichever order it names them', () => {
    const ab = targetKeysOf({
      type: 'run-automation',
      documentName: 'Patch',
      parameters: { InstanceId: ['i-1', 'i-2'] },
    } as never);
    const ba = targetKeysOf({
      type: 'run-automation',
      documentName: 'Patch',
      parameters: { InstanceId: ['i-2', 'i-1', 'i-2'] },
    } as never);

    expect(ab).toEqual(['instance:i-1', 'instance:i-2']);
    expect(ba).toEqual(ab);
    expect(targetKeysOf({ type: 'replace-instance', instanceId: 'i-2' } as never)[0]).toBe(ab[1]);
    expect(targetKeysOf({ type: 'run-automation', documentName: 'Rotate', parameters: {} } as never)).toEqual([
      'automation:Rotate',
    ]);
  });

  it('takes every instance lock of a runbook, or none: a held one gives back what it took', async () => {
    killSwitch('false');
    const state = loadEvent<{ plan: { action: unknown } }>('guard-acquire');
    state.plan.action = {
      type: 'run-automation',
      documentName: 'Patch',
      parameters: { InstanceId: ['i-2', 'i-1'] },
      useAutomationRole: true,
    };
    aws.dynamoDb.on(GetCommand).resolves({});
    // i-2 was taken by another execution between the read and the write.
    aws.dynamoDb
      .on(UpdateCommand, { Key: { target: 'instance:i-2' } })
      .rejects(awsError('ConditionalCheckFailedException'));
    aws.dynamoDb.on(UpdateCommand, { Key: { target: 'instance:i-1' } }).resolves({});

    await expect(invoke(state)).resolves.toMatchObject({ decision: 'skip', reason: 'InProgress', lockAcquired: false });
    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(writes.map((w) => `${String(w.Key?.target)} ${String(w.UpdateExpression).split(' ')[0]}`)).toEqual([
      'instance:i-1 SET', // sorted: i-1 first
      'instance:i-2 SET',
      'instance:i-1 REMOVE', // given back
    ]);
  });
});
