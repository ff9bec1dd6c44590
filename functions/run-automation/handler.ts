import { assertStillActionable } from '../aws/alarms';
import { type ChangeTask, beforeChange, claimChange } from '../aws/preflight';
import { runningAutomations, startAutomationExecution } from '../aws/ssm-automation';
import { automationRequest, clientTokenFor } from '../domain/automation';
import { AutomationConcurrencyLimit, InvalidInputError } from '../domain/errors';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { GuardSchema } from '../domain/guard-schema';
import { clock } from '../platform/clock';
import { numberEnv, stackDryRun, stringEnv } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';

export { clientTokenFor };

const automationRoleArn = stringEnv('AUTOMATION_ROLE_ARN', '') || undefined;
// AWS allows 100 concurrent automations per account; the platform keeps well under it.
const maxConcurrentAutomations = numberEnv('MAX_CONCURRENT_AUTOMATIONS', 10);

export async function startAutomation(state: ChangeTask): Promise<Applied> {
  logger.appendKeys({ incidentId: state.incident.id });
  const action = state.plan.action;
  if (action?.type !== 'run-automation')
    throw new InvalidInputError(`Automation task cannot run ${action?.type ?? 'no action'}`);
  const dryRun = state.plan.dryRun || stackDryRun();
  const input = automationRequest(action, state.incident.id, automationRoleArn);
  const call = { operation: 'SSM.StartAutomationExecution', input };
  const appliedAt = clock.now().toISOString();
  const description = `run ${action.documentName} with ${JSON.stringify(action.parameters)}`;
  if (dryRun) {
    await assertStillActionable(state, clock.now());
    return wouldApply(description, call, appliedAt);
  }
  const { found: running } = await beforeChange(state, () => runningAutomations(maxConcurrentAutomations));
  if (running.length >= maxConcurrentAutomations) {
    throw new AutomationConcurrencyLimit(
      `${running.length} platform automations are running (ceiling ${maxConcurrentAutomations}); retrying later`,
    );
  }
  await claimChange(state, call.operation);
  const executionId = await startAutomationExecution(input);
  logger.info('Started automation', { executionId, documentName: action.documentName });
  return {
    applied: true,
    dryRun,
    description: `${description} (execution ${executionId})`,
    call,
    watch: { kind: 'automation', executionId },
    appliedAt,
  };
}

export const AutomationTaskSchema = PlannedStateSchema.extend({ guard: GuardSchema.optional() });

export const handler = workflowTask(AutomationTaskSchema, startAutomation);
