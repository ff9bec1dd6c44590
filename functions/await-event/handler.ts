import * as z from 'zod';
import { registerWait } from '../aws/waits';
import { WaitPhaseSchema, WaitStateSchema, lastReadAt, waitKeysFor } from '../domain/wake';
import { clock } from '../platform/clock';
import { requiredEnv } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';

// Invoked by the workflow's `.waitForTaskToken` Await states: registers the token for what the
// execution waits on. The matching event resumes it (aws/ingest.ts); if none comes, the state's
// timeout (the poll interval it replaces) sends the workflow to one read of the real state.

const tableName = requiredEnv('GUARD_TABLE_NAME');

export const AwaitInputSchema = z.object({
  taskToken: z.string().min(1),
  execution: z.string().min(1),
  phase: WaitPhaseSchema,
  /** The state's TimeoutSecondsPath value: how long before the fallback poll. */
  timeoutSeconds: z.int().min(1),
  state: WaitStateSchema,
});
export type AwaitInput = z.infer<typeof AwaitInputSchema>;

export async function awaitEvent(input: AwaitInput): Promise<{ registered: string[]; resumedAtOnce: boolean }> {
  logger.appendKeys({ incidentId: input.state.incident.id });
  const keys = waitKeysFor(input.state, input.phase);
  const registered = await registerWait(
    tableName,
    keys,
    input.execution,
    input.taskToken,
    lastReadAt(input.state, input.phase),
    clock.now(),
  );
  logger.info('Waiting for an event', {
    phase: input.phase,
    keys,
    fallbackPollSeconds: input.timeoutSeconds,
    ...(registered.resumedAtOnce ? { resumedAtOnce: registered.resumedAtOnce } : {}),
  });
  return { registered: registered.registered, resumedAtOnce: registered.resumedAtOnce !== undefined };
}

export const handler = workflowTask(AwaitInputSchema, awaitEvent);
