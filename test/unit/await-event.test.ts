import { beforeEach, describe, expect, it } from '@jest/globals';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/await-event/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

interface AwaitInput {
  taskToken: string;
  execution: string;
  phase: 'progress' | 'recovery';
  timeoutSeconds: number;
  state: { applied: { appliedAt: string }; progress?: unknown };
}
const input = loadEvent<AwaitInput>('await-event');
const invoke = (event: unknown) => handler(event as never, lambdaContext('AwaitEventFunction'));

beforeEach(resetAwsMocks);

describe('AwaitEventFunction', () => {
  it('registers the task token on what the action started (the group), and nothing else', async () => {
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: { tokens: { [input.execution]: input.taskToken } } });

    const result = await invoke(input);

    expect(result).toEqual({ registered: ['group:web-asg'], resumedAtOnce: false });
    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { target: 'wait:group:web-asg' },
      UpdateExpression: 'SET tokens.#execution = :token, expiresAt = :ttl',
      ExpressionAttributeNames: { '#execution': input.execution },
    });
    expect(aws.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('waits on the alarm for recovery', async () => {
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });

    const result = await invoke({ ...input, phase: 'recovery' });

    expect(result).toEqual({ registered: ['alarm:web-cpu-high'], resumedAtOnce: false });
  });

  it('creates the token map when it is the first to wait on the key', async () => {
    aws.dynamoDb
      .on(UpdateCommand, { ConditionExpression: 'attribute_exists(tokens)' })
      .rejects(awsError('ConditionalCheckFailedException'))
      .on(UpdateCommand, { ConditionExpression: 'attribute_not_exists(tokens)' })
      .resolves({ Attributes: {} });

    await invoke(input);

    expect(aws.dynamoDb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET tokens = :tokens, expiresAt = :ttl',
      ExpressionAttributeValues: expect.objectContaining({ ':tokens': { [input.execution]: input.taskToken } }),
    });
  });

  // The event can reach ingest between the execution's last read and this registration.
  it('resumes itself at once when an event came after its last read of the real state', async () => {
    const after = Date.parse(input.state.applied.appliedAt) + 5_000;
    aws.dynamoDb
      .on(UpdateCommand, { UpdateExpression: 'SET tokens.#execution = :token, expiresAt = :ttl' })
      .resolves({ Attributes: { lastEventAt: after, lastEvent: 'eventbridge: launch', tokens: {} } })
      .on(UpdateCommand, { UpdateExpression: 'REMOVE tokens.#execution' })
      .resolves({});

    const result = await invoke(input);

    expect(result).toEqual({ registered: ['group:web-asg'], resumedAtOnce: true });
    expect(aws.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: input.taskToken,
      output: JSON.stringify({ by: 'eventbridge: launch', at: new Date(after).toISOString() }),
    });
  });

  it('does not resume for an event older than its last read', async () => {
    const before = Date.parse(input.state.applied.appliedAt) - 5_000;
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: { lastEventAt: before, tokens: {} } });

    const result = await invoke(input);

    expect(result.resumedAtOnce).toBe(false);
    expect(aws.sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('names the field when the workflow sends a bad payload', async () => {
    await expect(invoke({ ...input, timeoutSeconds: 0 })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('timeoutSeconds'),
    });
  });
});
