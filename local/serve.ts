// npm run sandbox -- [--port 4566] [--host 127.0.0.1] [--scenario <name>]… [--faults <spec>]
// Keeps the local AWS sandbox (game-day fleet) running for other tools: `sam local invoke
// --env-vars env.json`, the AWS CLI (`aws --endpoint-url …`), botocore. Prints each call it serves.
import { parseArgs } from 'node:util';
import { SCENARIOS, gameDayFleet } from './scenarios';
import { ScaledClock } from './sandbox/fleet';
import { Sandbox } from './sandbox/server';

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
// Real time (scaled), not virtual: outside clients cannot take turns, and time must pass while a
// person types. Everything else runs on virtual time (docs/simulation.md).
const fleet = gameDayFleet(new ScaledClock(Date.now(), speed));
const sandbox = await Sandbox.start({
  fleet,
  speed,
  host: values.host,
  port: Number(values.port),
  ...(values.faults ? { faults: values.faults } : {}),
});
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
process.on('SIGINT', () => {
  clearInterval(timer);
  clearInterval(printer);
  void sandbox.stop().then(() => process.exit(0));
});
