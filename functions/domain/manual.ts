import * as z from 'zod';
import { InvalidInputError } from './errors';
import { describeIssues } from './inbound/format';
import { type Incident, IncidentSchema, TargetSchema } from './incident';
import { ActionSchema } from './policy/actions';

/** What an operator passes to a manual execution (see README "Manual executions"). */
export const ManualRequestSchema = z
  .object({
    action: ActionSchema,
    reason: z.string().min(1).describe('Why the operator started this: kept in the audit trail'),
    requestedBy: z.string().optional(),
    dryRun: z.boolean().default(false),
    target: TargetSchema.optional(),
  })
  .strict();
export type ManualRequest = z.infer<typeof ManualRequestSchema>;

/** The plan task's input: what started the execution, and the execution itself (a manual incident takes its name). */
export const PlanTaskInputSchema = z.object({
  input: z.unknown(),
  execution: z.object({ name: z.string(), id: z.string(), startTime: z.string() }),
});
export type PlanTaskInput = z.infer<typeof PlanTaskInputSchema>;

/** The ASL's "Plan Remediation" state passes step "plan" to GuardFunction; "Check Guardrails" passes no step. */
export function isPlanStep(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { step?: unknown }).step === 'plan';
}

export function manualIncident(request: ManualRequest, execution: PlanTaskInput['execution']): Incident {
  // arn:aws:states:<region>:<account>:execution:<machine>:<name>
  const [, , , region = '', account = ''] = execution.id.split(':');
  const startedAt = new Date(execution.startTime).toISOString();
  return IncidentSchema.parse({
    id: execution.name,
    source: 'manual',
    summary: `Manual ${request.action.type} by ${request.requestedBy ?? 'an operator'}: ${request.reason}`,
    account,
    region,
    receivedAt: startedAt,
    detectedAt: startedAt,
    dryRun: request.dryRun,
    target: request.target ?? {},
    requestedAction: request.action,
  });
}

/** Accepts an incident from ingest or a manual request; anything else names its bad fields. */
export function toIncident(task: PlanTaskInput): Incident {
  const input = task.input;
  if (input !== null && typeof input === 'object' && 'action' in input && !('id' in input)) {
    const manual = ManualRequestSchema.safeParse(input);
    if (!manual.success) throw new InvalidInputError(`Invalid manual request: ${describeIssues(manual.error)}`);
    return manualIncident(manual.data, task.execution);
  }
  const incident = IncidentSchema.safeParse(input);
  if (!incident.success) throw new InvalidInputError(`Invalid incident: ${describeIssues(incident.error)}`);
  return incident.data;
}
