import { type EscalateInput, EscalateInputSchema, escalateRung } from '../aws/escalation';
import { guardSettingsFromEnv } from '../aws/guard-table';
import type { ClimbedState } from '../domain/escalation';
import { clock } from '../platform/clock';
import { workflowTask } from '../platform/middleware';

const guardSettings = guardSettingsFromEnv();

export { EscalateInputSchema };

export const escalate = (input: EscalateInput): Promise<ClimbedState> =>
  escalateRung(guardSettings, input, clock.now());

export const handler = workflowTask(EscalateInputSchema, escalate);
