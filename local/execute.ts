// npm run execute -- --input <file> [--name <execution name>] [--faults <spec>]
// Runs the state machine locally on an input (a manual request or an incident) against the local
// AWS sandbox with the game-day fleet, and prints the states visited and the output.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { stdoutForResultOnly } from './cli-output';
import { gameDayFleet } from './scenarios';
import { startSimulation } from './sim/simulation';

async function main(): Promise<number> {
  const print = stdoutForResultOnly();
  const { values } = parseArgs({
    options: { input: { type: 'string', short: 'i' }, name: { type: 'string' }, faults: { type: 'string' } },
  });
  if (!values.input) {
    process.stderr.write('Usage: npm run execute -- --input <file> [--name <execution name>] [--faults <spec>]\n');
    return 2;
  }
  const input = executionInputOf(values.input);
  // Virtual time: Wait states, retries and an approval's timeout pass at once, the same at any load.
  const simulation = await startSimulation({
    fleet: gameDayFleet,
    ...(values.faults ? { faults: values.faults } : {}),
  });
  const { sandbox } = simulation;
  const sfn = new SFNClient({});
  const name =
    values.name ??
    `manual-${new Date()
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)}`;
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN, name, input }),
  );
  await sandbox.settle();
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  const run = sandbox.executions.get(name)?.run;
  await simulation.finish();
  print(
    `${JSON.stringify(
      {
        name,
        status: described.status,
        statesVisited: run?.states ?? [],
        retries: run?.retries ?? [],
        output: described.output ? (JSON.parse(described.output) as unknown) : null,
        ...(described.error ? { error: described.error, cause: described.cause } : {}),
        mutatingCalls: sandbox.mutatingCalls().map((c) => ({ operation: c.operation, params: c.params })),
      },
      null,
      2,
    )}\n`,
  );
  return described.status === 'SUCCEEDED' ? 0 : 1;
}

process.exitCode = await main();

/**
 * The execution's input in the file: an incident or a manual request, or the Plan step's fixture
 * (events/plan-*.json: { step: "plan", input, execution }), whose `input` is what the execution got.
 */
function executionInputOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  try {
    const parsed = JSON.parse(text) as { step?: unknown; input?: unknown };
    if (parsed.step === 'plan' && parsed.input !== undefined) {
      process.stderr.write(`${file} is a Plan step fixture: the execution starts with its "input"\n`);
      return JSON.stringify(parsed.input);
    }
  } catch {
    // Not JSON: StartExecution answers InvalidExecutionInput, as on AWS.
  }
  return text;
}
