// npm run sandbox -- [--port 4566] [--host 127.0.0.1] [--scenario <name>]… [--faults <spec>]
// Keeps the local AWS sandbox (game-day fleet) running for other tools: `sam local invoke
// --env-vars env.json`, the AWS CLI (`aws --endpoint-url …`), botocore. Prints each call it serves.
import { parseArgs } from 'node:util';
import { SCENARIOS, gameDayFleet } from './scenarios';
import { ScaledClock } from './sandbox/fleet';
import { parseFaults } from './sandbox/faults';
import { Sandbox } from './sandbox/server';
import { deliverLikeAws } from './sandbox/subscriptions';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4566' },
    host: { type: 'string', default: '127.0.0.1' },
    scenario: { type: 'string', multiple: true },
    faults: { type: 'string' },
    speed: { type: 'string', default: '1' },
  },
});
const speed = Number(values.speed);
const port = Number(values.port);
// Every option is checked before anything starts: a bad one is one line and exit 2.
const refuse = (message: string): never => {
  process.stderr.write(`sandbox: ${message}\n`);
  process.exit(2);
};
if (!Number.isInteger(port) || port < 0 || port > 65_535) refuse(`--port must be 0–65535, not "${values.port}"`);
if (!(speed > 0)) refuse(`--speed must be a number above 0, not "${values.speed}"`);
for (const name of values.scenario ?? [])
  if (!SCENARIOS[name]) refuse(`unknown scenario "${name}" (${Object.keys(SCENARIOS).join(', ')})`);
try {
  if (values.faults) parseFaults(values.faults);
} catch (error) {
  refuse(error instanceof Error ? error.message : String(error));
}

// Real time (scaled), not virtual: outside clients cannot take turns, and time must pass while a
// person types. Everything else runs on virtual time (docs/simulation.md).
const fleet = gameDayFleet(new ScaledClock(Date.now(), speed));
let sandbox: Sandbox;
try {
  sandbox = await Sandbox.start({
    fleet,
    speed,
    host: values.host,
    port,
    ...(values.faults ? { faults: values.faults } : {}),
  });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    refuse(`port ${port} on ${values.host} is in use: stop what holds it, or pass --port <another>`);
  throw error;
}
// Alarms and activities reach the ingest functions as on AWS: `aws cloudwatch set-alarm-state … ALARM`
// or `aws sns publish` to the alarm topic starts a remediation.
deliverLikeAws(sandbox, (line) => process.stderr.write(`${line}\n`));
for (const name of values.scenario ?? []) SCENARIOS[name]?.inject(fleet);
const timer = setInterval(() => fleet.tick(), 1000);
let shown = 0;
const printer = setInterval(() => {
  for (const call of sandbox.calls.slice(shown))
    process.stderr.write(`${call.at}  ${call.operation}  ${call.outcome}${call.injected ? ' (injected)' : ''}\n`);
  shown = sandbox.calls.length;
}, 250);
process.stderr.write(
  `Local AWS sandbox listening on ${sandbox.url} (game-day fleet, ${speed}× time). Ctrl-C to stop.\n`,
);

/** Stops within 5 s: running executions are reported, not awaited (one may wait an hour for an approval). */
function shutDown(signal: string): void {
  clearInterval(timer);
  clearInterval(printer);
  const running = [...sandbox.executions.values()].filter((e) => e.status === 'RUNNING').map((e) => e.name);
  process.stderr.write(
    `${signal}: stopping the sandbox${running.length ? `; ${running.length} execution(s) still running, abandoned: ${running.join(', ')}` : ''}\n`,
  );
  // A request an abandoned execution had in flight is cut: said, not fatal.
  process.on('uncaughtException', (error) => process.stderr.write(`cut while stopping: ${error.message}\n`));
  setTimeout(() => {
    process.stderr.write('the sandbox did not stop within 5 s: exiting anyway\n');
    process.exit(1);
  }, 5000).unref();
  void sandbox.stop({ abandonRunning: true }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => shutDown(signal));
