import { describe, expect, it } from '@jest/globals';
import { StateMachine } from 'aws-local-stepfunctions';
import { substitutedDefinition } from '../../local/workflow';

// When an execution cannot record its outcome, "Hold Targets For Review" marks every target it
// locked (a runbook over N instances locked N). Found by sweep seed 461: the first target's lock had
// been taken over (ConditionalCheckFailed), the Map failed on it, and the others were never held.

/** The real Map state, run alone, its DynamoDB task answered by `write` for each key. */
async function holdTargets(keys: string[], write: (key: string) => void) {
  const { States } = substitutedDefinition();
  // The Map alone: no Catch of its own, so a failed iteration fails the run.
  const map: Record<string, unknown> = { ...(States['Hold Targets For Review'] as unknown as Record<string, unknown>) };
  delete map.Catch;
  delete map.Next;
  const machine = new StateMachine({
    StartAt: 'Hold Targets For Review',
    States: { 'Hold Targets For Review': { ...map, End: true } },
  } as never);
  const attempted: string[] = [];
  const execution = machine.run(
    { guard: { targetKeys: keys }, failure: { Error: 'Sandbox.Timedout' } },
    {
      overrides: {
        taskResourceLocalHandlers: {
          'Hold Target For Review': (input) => {
            const key = (input as { Key: { target: { S: string } } }).Key.target.S;
            attempted.push(key);
            write(key);
            return Promise.resolve({});
          },
        },
        retryIntervalOverrides: { 'Hold Target For Review': 0 },
      },
      context: { Execution: { Name: 'unrecorded' } },
    },
  );
  const outcome = await execution.result.then(
    () => 'succeeded',
    (error: unknown) => `failed: ${String((error as { cause?: unknown }).cause ?? error)}`,
  );
  return { outcome, attempted: [...new Set(attempted)].sort() };
}

const failing = (name: string) => Object.assign(new Error(`${name} (test)`), { name });

describe('holding the targets of an execution that could not record its outcome', () => {
  const keys = ['instance:i-0b0b0b00000000001', 'instance:i-0b0b0b00000000002', 'instance:i-0b0b0b00000000003'];

  it('holds every other target when one lock is no longer this execution’s', async () => {
    const result = await holdTargets(keys, (key) => {
      if (key === keys[0]) throw failing('DynamoDB.ConditionalCheckFailedException');
    });
    expect(result).toEqual({ outcome: 'succeeded', attempted: keys });
  });

  it('holds every other target when one write keeps failing after its retries', async () => {
    const result = await holdTargets(keys, (key) => {
      if (key === keys[1]) throw failing('DynamoDB.ProvisionedThroughputExceededException');
    });
    expect(result).toEqual({ outcome: 'succeeded', attempted: keys });
  });
});
