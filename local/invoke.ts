// npm run invoke -- <LogicalId> --event <file> [--env-vars <json>] [--aws]
// Mirrors `sam local invoke` without Docker: the function's handler and environment (Globals
// first) come from template.yaml; it runs in-process with a Lambda-like context against the
// local AWS sandbox (or real AWS with --aws). The result is printed as JSON on stdout, logs go to
// stderr, and the exit code is 1 when the handler throws.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stdoutForResultOnly } from './cli-output';
import { invokeLocally, lambdaContext } from './lambda-context';
import { stageIncidentAlarm } from './event-resources';
import { gameDayFleet } from './scenarios';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startSimulation } from './sim/simulation';
import { functionEnvironment, functionsOf, loadTemplate } from './template';
import { loadHandler } from './handlers';

const USAGE = 'Usage: npm run invoke -- <LogicalId> --event <file> [--env-vars <env.json>] [--aws] [--now <ISO time>]';

/** When the event's incident was detected: fixtures are replayed at their own time, so their age means what it did. */
function detectedAtOf(event: unknown): string | undefined {
  const e = event as {
    detectedAt?: string;
    input?: { detectedAt?: string };
    incident?: { detectedAt?: string };
    state?: { incident?: { detectedAt?: string } };
  } | null;
  return e?.input?.detectedAt ?? e?.incident?.detectedAt ?? e?.state?.incident?.detectedAt ?? e?.detectedAt;
}

/**
 * env.json is written for `sam local invoke`, whose container reaches `npm run sandbox` on the host
 * as host.docker.internal. Here the function runs in this process beside its own sandbox: those
 * addresses are that sandbox. With --aws there is no sandbox, and the SDK's own endpoints apply.
 */
function localAddresses(envVars: Record<string, string>, sandboxUrl: string | undefined): Record<string, string> {
  const dockerHost = /^https?:\/\/host\.docker\.internal(:\d+)?/;
  const rewritten = Object.entries(envVars).flatMap(([key, value]): [string, string][] => {
    if (!dockerHost.test(value)) return [[key, value]];
    if (sandboxUrl) return [[key, value.replace(dockerHost, sandboxUrl)]];
    process.stderr.write(`--env-vars: ${key}=${value} is the Docker host's sandbox; left out with --aws\n`);
    return [];
  });
  return Object.fromEntries(rewritten);
}

/** SAM's --env-vars file: { "<LogicalId>": { VAR: value }, "Parameters": { VAR: value } } (Parameters apply to every function). */
function envVarsFor(file: string | undefined, logicalId: string): Record<string, string> {
  if (!file) return {};
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;
  return { ...(json.Parameters ?? {}), ...(json[logicalId] ?? {}) };
}

async function main(): Promise<number> {
  const print = stdoutForResultOnly();
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      event: { type: 'string', short: 'e' },
      'env-vars': { type: 'string', short: 'n' },
      aws: { type: 'boolean', default: false },
      now: { type: 'string' },
    },
  });
  const logicalId = positionals[0];
  const template = loadTemplate();
  const functions = functionsOf(template).map(([id]) => id);
  if (!logicalId || !functions.includes(logicalId) || !values.event) {
    process.stderr.write(`${USAGE}\nFunctions: ${functions.join(', ')}\n`);
    return 2;
  }
  const event = JSON.parse(readFileSync(values.event, 'utf8')) as unknown;
  // A dated fixture is judged at its own time (30 s after detection) unless --now says otherwise; with --aws, real time.
  const detectedAt = detectedAtOf(event);
  const now =
    values.now ?? (!values.aws && detectedAt ? new Date(Date.parse(detectedAt) + 30_000).toISOString() : undefined);
  if (now !== undefined && Number.isNaN(Date.parse(now))) {
    process.stderr.write(`--now: "${now}" is not an ISO 8601 time\n`);
    return 2;
  }
  // The sandbox runs on virtual time from that moment: the handler, the fleet and the sandbox agree on "now".
  const simulation = values.aws
    ? undefined
    : await startSimulation({ fleet: gameDayFleet, start: now ? Date.parse(now) : Date.now() });
  const sandbox = simulation?.sandbox;
  const envVars = localAddresses(envVarsFor(values['env-vars'], logicalId), sandbox?.url);
  Object.assign(
    process.env,
    functionEnvironment(template, logicalId, { DryRun: 'false', Environment: 'local' }, sandbox?.url),
    envVars,
  );
  // The template declares AWS_ENDPOINT_URL empty (for SAM); the sandbox's endpoint wins unless --env-vars names one.
  if (sandbox && !envVars.AWS_ENDPOINT_URL) process.env.AWS_ENDPOINT_URL = sandbox.url;
  if (sandbox) process.stderr.write(`Local AWS sandbox at ${sandbox.url} (game-day fleet); --aws for real AWS\n`);
  if (now && values.aws) {
    const offset = Date.parse(now) - Date.now();
    const { clock } = await import('../functions/platform/clock');
    clock.now = () => new Date(Date.now() + offset);
  }
  if (now)
    process.stderr.write(
      `Handlers' clock: ${now}${values.now ? '' : " (the fixture's own time; --now to change it)"}\n`,
    );

  if (sandbox) {
    for (const built of stageIncidentAlarm(sandbox.fleet, event))
      process.stderr.write(`Built for ${values.event}: ${built}\n`);
    await holdTheFixturesLock(event);
  }
  let exitCode = 0;
  try {
    // Only this function's module: another's required variables (STATE_MACHINE_ARN with --aws) are not read.
    const handler = await loadHandler(logicalId);
    const result = await invokeLocally(handler, event, lambdaContext(logicalId));
    print(`${JSON.stringify(result ?? null, null, 2)}\n`);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    print(`${JSON.stringify({ errorType: e.name, errorMessage: e.message }, null, 2)}\n`);
    exitCode = 1;
  }
  await simulation?.finish();
  return exitCode;
}

process.exitCode = await main();

/**
 * An apply fixture says its execution holds the target's lock (its `guard`): make it so in the
 * sandbox's guard table, as the guard step would have, so the action's lock check passes.
 */
async function holdTheFixturesLock(event: unknown): Promise<void> {
  const { guard, incident } = event as {
    guard?: { lockAcquired?: boolean; targetKey?: string; owner?: string };
    incident?: { id?: string };
  };
  if (!guard?.lockAcquired || !guard.targetKey || !process.env.GUARD_TABLE_NAME) return;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  await client.send(
    new PutCommand({
      TableName: process.env.GUARD_TABLE_NAME,
      Item: {
        target: guard.targetKey,
        lockedBy: guard.owner ?? incident?.id ?? '',
        lockState: 'in-progress',
        lockExpiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
    }),
  );
  client.destroy();
}
