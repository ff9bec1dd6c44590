import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Context } from 'aws-lambda';

// Locally all functions share one process and one Powertools logger; on Lambda each invocation
// has its own. Two invocations in flight at once must still log their own function and incident.
interface SlowEvent {
  incident: string;
  gate: Promise<void>;
}
type Handler = (event: SlowEvent, context: Context) => Promise<string>;
let handler: Handler;
let invokeLocally: typeof import('../../local/lambda-context').invokeLocally;
let lambdaContext: typeof import('../../local/lambda-context').lambdaContext;

beforeAll(async () => {
  // The logger reads its level once, when the module loads (the test setup silences it).
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const { powertoolsHandler } = await import('../../functions/platform/middleware');
  const { logger } = await import('../../functions/platform/powertools');
  ({ invokeLocally, lambdaContext } = await import('../../local/lambda-context'));
  handler = powertoolsHandler(async (event: SlowEvent) => {
    logger.appendKeys({ incidentId: event.incident });
    await event.gate;
    logger.info('acted');
    return event.incident;
  });
});

function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The "acted" log lines written while `run` runs. */
async function actedLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    out.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.message === 'acted');
}

describe('log context when functions share one process', () => {
  it("gives each concurrent invocation's log lines its own function name and incident id", async () => {
    const a = gate();
    const b = gate();
    const lines = await actedLines(async () => {
      const first = invokeLocally(handler, { incident: 'incident-a', gate: a.promise }, lambdaContext('GuardFunction'));
      const second = invokeLocally(
        handler,
        { incident: 'incident-b', gate: b.promise },
        lambdaContext('AutoScalingActionFunction'),
      );
      // B started last and logs first; then A logs, after B's context was the latest set.
      b.open();
      await second;
      a.open();
      await first;
    });

    expect(lines.map((l) => [l.function_name, l.incidentId])).toEqual([
      ['AutoScalingActionFunction', 'incident-b'],
      ['GuardFunction', 'incident-a'],
    ]);
  });
});
