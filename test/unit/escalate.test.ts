import { beforeEach, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/escalate/handler';
import { handler as recordOutcome } from '../../functions/record-outcome/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetAwsMocks } from '../helpers/aws-mocks';
import { captureMetrics } from '../helpers/emf';
import { loadEvent } from '../helpers/fixtures';

type Escalated = {
  plan: { action: { type: string }; escalation: { step: number; hasNext: boolean } };
  escalation: { steps: { step: number; actionType: string; result: string }[] };
};
const event = () => loadEvent<{ state: Record<string, unknown> }>('escalate-step');
const invoke = (input: unknown) => handler(input as never, lambdaContext('EscalateFunction')) as Promise<Escalated>;

function guardTableAcceptsRelease() {
  aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
}

beforeEach(() => {
  resetAwsMocks();
  guardTableAcceptsRelease();
});

describe('EscalateFunction', () => {
  it('turns the rung’s lock into a cooldown that counts as a failure, and plans the next rung', async () => {
    const { result, metrics } = await captureMetrics(() => invoke(event()));

    const update = aws.dynamoDb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update).toMatchObject({
      Key: { target: 'instance:i-0b0b0b00000000001' },
      // Only a hold still in progress is released: a retried release counts nothing twice.
      ConditionExpression: 'lockedBy = :me AND lockState = :inProgress',
      ExpressionAttributeValues: expect.objectContaining({ ':cooldown': 'cooldown' }),
    });
    expect(update?.UpdateExpression).toContain('failures');
    expect(result.plan.action.type).toBe('replace-instance');
    expect(result.plan.escalation).toMatchObject({ step: 2, hasNext: true });
    expect(result.escalation.steps).toEqual([
      expect.objectContaining({ step: 1, actionType: 'run-automation', result: 'not-recovered' }),
    ]);
    expect(metrics).toEqual([
      expect.objectContaining({
        name: 'EscalationStep',
        dimensions: expect.objectContaining({ Result: 'not-recovered' }),
      }),
    ]);
  });

  it('is what Record Outcome still does for an execution of the earlier workflow (outcome "escalated")', async () => {
    const viaRecord = (await recordOutcome(
      { outcome: 'escalated', ...event() } as never,
      lambdaContext('RecordOutcomeFunction'),
    )) as Escalated;
    resetAwsMocks();
    guardTableAcceptsRelease();
    const direct = await invoke(event());

    const withoutEndTime = (r: Escalated) => ({
      ...r,
      escalation: r.escalation.steps.map(({ step, result }) => ({ step, result })),
    });
    expect(withoutEndTime(viaRecord)).toEqual(withoutEndTime(direct));
    expect(viaRecord.plan).toEqual(direct.plan);
  });

  it('names the missing field of a malformed state', async () => {
    await expect(invoke({ state: { incident: {} } })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('state.incident.id: expected string'),
    });
  });
});
