import * as z from 'zod';
import { type ChangeTask, MAX_PREPARATIONS, type Reads, act, approvedBasis, preflight } from '../aws/preflight';
import { describeGroups } from '../aws/auto-scaling';
import { runningAutomations, startAutomationExecution } from '../aws/ssm-automation';
import { locateInstances } from '../aws/instances';
import { type AutomationRequest, clientTokenFor } from '../domain/automation';
import { AutomationConcurrencyLimit, InvalidInputError, NoLongerNeeded, skipError } from '../domain/errors';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { GuardSchema } from '../domain/guard-schema';
import type { Action } from '../domain/policy/actions';
import { atPrepare } from '../domain/safety-kernel';
import { PreparedChangeSchema } from '../domain/scaling';
import { automationInstances } from '../domain/targets';
import { clock } from '../platform/clock';
import { numberEnv, stackDryRun, stringEnv } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import { settleAll } from '../platform/settle';

export { clientTokenFor };

const automationRoleArn = stringEnv('AUTOMATION_ROLE_ARN', '') || undefined;
// AWS allows 100 concurrent automations per account; the platform keeps well under it.
const maxConcurrentAutomations = numberEnv('MAX_CONCURRENT_AUTOMATIONS', 10);

/** A runbook as prepared: the instances it acts on and the Auto Scaling groups they were in. */
export const PreparedAutomationSchema = PreparedChangeSchema.extend({
  documentName: z.string(),
  instances: z.array(z.string()),
  groups: z.array(z.string()),
});
export type PreparedAutomation = z.infer<typeof PreparedAutomationSchema>;

export const AutomationTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare'), guard: GuardSchema.optional() }),
  PlannedStateSchema.extend({
    operation: z.literal('apply'),
    prepared: PreparedAutomationSchema,
    guard: GuardSchema.optional(),
  }),
]);
export type AutomationTask = z.infer<typeof AutomationTaskSchema>;

type AutomationAction = Extract<Action, { type: 'run-automation' }>;

function actionOf(task: AutomationTask): AutomationAction {
  const action = task.plan.action;
  if (action?.type !== 'run-automation')
    throw new InvalidInputError(`Automation task cannot run ${action?.type ?? 'no action'}`);
  return action;
}

/** The instances the runbook acts on, where they are, and (for the blast radius) their groups. */
const readsFor = (action: AutomationAction, groups: string[] = []): Reads => ({
  instances: automationInstances(action),
  locateInstances,
  groups,
  describeGroups,
});

/** Read-only: the runbook the kernel would start on the instances as they are, and whether a human approves it first. */
export async function prepare(task: Extract<AutomationTask, { operation: 'prepare' }>): Promise<PreparedAutomation> {
  const action = actionOf(task);
  const round = task.guard?.round?.n ?? 0;
  if (round >= MAX_PREPARATIONS)
    throw new NoLongerNeeded(`prepared ${round} times and the instances changed each time: a human decides`);
  const { decision, live } = await preflight(task, readsFor(action), 'prepare', { automationRoleArn });
  if (decision.kind === 'stop') throw skipError(decision.reason, decision.why);
  const instances = automationInstances(action);
  const groups = [...new Set(instances.flatMap((id) => (live.instances[id]?.group ? [live.instances[id].group] : [])))];
  return { ...atPrepare(decision, task.plan, round), documentName: action.documentName, instances, groups };
}

/** The mutating call, as the kernel decides it right before it. ClientToken derived from the incident: a retried start returns the same execution. */
export async function start(task: Extract<AutomationTask, { operation: 'apply' }>): Promise<Applied> {
  const action = actionOf(task);
  const { prepared, plan } = task;
  const dryRun = plan.dryRun || stackDryRun();
  const appliedAt = clock.now().toISOString();
  const reads = readsFor(action, prepared.groups);
  if (dryRun) {
    const { decision } = await preflight(task, reads, 'dry-run', { automationRoleArn });
    if (decision.kind === 'stop') throw skipError(decision.reason, decision.why);
    if (decision.kind === 'noop') throw new NoLongerNeeded(decision.why);
    return wouldApply(prepared.description, decision.call, appliedAt);
  }
  const [read, running] = await settleAll([
    preflight(task, reads, 'call', { automationRoleArn }),
    runningAutomations(maxConcurrentAutomations),
  ]);
  if (read.decision.kind === 'change' && running.length >= maxConcurrentAutomations)
    throw new AutomationConcurrencyLimit(
      `${running.length} platform automations are running (ceiling ${maxConcurrentAutomations}); retrying later`,
    );
  const outcome = await act(
    task as ChangeTask,
    read,
    approvedBasis(task, prepared.basis),
    (call) => startAutomationExecution(call.input as unknown as AutomationRequest),
    (earlier) => preflight(task, reads, 'call', { automationRoleArn }, earlier),
  );
  const executionId = outcome.made ? outcome.result : '';
  logger.info('Started automation', { executionId, documentName: action.documentName });
  return {
    applied: true,
    dryRun,
    description: `${prepared.description} (execution ${executionId})`,
    call: outcome.call,
    watch: { kind: 'automation', executionId },
    appliedAt,
  };
}

export async function automationTask(task: AutomationTask): Promise<PreparedAutomation | Applied> {
  logger.appendKeys({ incidentId: task.incident.id });
  return task.operation === 'prepare' ? prepare(task) : start(task);
}

export const handler = workflowTask(AutomationTaskSchema, automationTask);
