import { beforeEach, describe, expect, it } from '@jest/globals';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { holdDisruption, readInFlight } from '../../functions/aws/disruption';
import { aws, conditionFailed, resetAwsMocks } from '../helpers/aws-mocks';

// The blast radius counted across executions (functions/aws/disruption.ts). Found by
// `npm start -- --seed 3 --faults '*:throttle=0.3'`: rung 1's release of its slot was throttled out,
// and rung 2 of the same ladder then found no room in a small group because of its own rung's entry,
// asked for a human three times and gave up. An execution's own entries never count against it.

const NOW = new Date('2026-03-02T09:10:08Z');
const later = Math.floor(NOW.getTime() / 1000) + 3600;
const owner = 'alarm-worker-health';

/** The guard table's item for worker-asg, holding these entries, with DynamoDB's conditional ADD/DELETE. */
function groupHolds(entries: string[]) {
  const holders = new Set(entries);
  aws.dynamoDb.on(GetCommand).callsFake(() => ({ Item: { target: 'disruption:asg:worker-asg', holders } }));
  aws.dynamoDb
    .on(UpdateCommand)
    .callsFake(
      (input: {
        UpdateExpression: string;
        ConditionExpression?: string;
        ExpressionAttributeValues: Record<string, unknown>;
      }) => {
        const v = input.ExpressionAttributeValues;
        if (input.UpdateExpression.startsWith('DELETE')) for (const e of v[':gone'] as Set<string>) holders.delete(e);
        if (input.UpdateExpression.startsWith('ADD')) {
          const room = Number(v[':room']);
          if (input.ConditionExpression && !holders.has(String(v[':first'])) && holders.size > room)
            throw conditionFailed();
          for (const e of v[':mine'] as Set<string>) holders.add(e);
        }
        return {};
      },
    );
  return holders;
}

beforeEach(() => resetAwsMocks());

describe("an execution's own disruption entries", () => {
  it('never count against it: an earlier rung left behind is dropped when the next one claims', async () => {
    const holders = groupHolds([`${owner}#1@${later - 60}`]);

    const read = await readInFlight('GuardTable', ['worker-asg'], owner, NOW);
    expect(read.others).toEqual({ 'worker-asg': 0 });
    const mine = [`${owner}#1@${later}`];
    const held = await holdDisruption('GuardTable', 'worker-asg', mine, 1, read.expired['disruption:asg:worker-asg']);

    expect(held).toBe(true);
    expect([...holders]).toEqual(mine);
  });

  it("still count another execution's, which leave no room in a group that allows one", async () => {
    groupHolds([`another-execution#1@${later}`]);

    const read = await readInFlight('GuardTable', ['worker-asg'], owner, NOW);
    const held = await holdDisruption(
      'GuardTable',
      'worker-asg',
      [`${owner}#1@${later}`],
      1,
      read.expired['disruption:asg:worker-asg'],
    );

    expect(read.others).toEqual({ 'worker-asg': 1 });
    expect(held).toBe(false);
  });
});
