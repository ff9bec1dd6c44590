import { createHash } from 'node:crypto';
import { StartAutomationExecutionCommand, paginateDescribeAutomationExecutions } from '@aws-sdk/client-ssm';
import { callAws, toNamedAwsError } from '../aws/aws-errors';
import { ssm } from '../aws/clients/ssm';
import { clock } from '../platform/clock';
import { numberEnv, stackDryRun, stringEnv } from '../platform/env';
import { AutomationConcurrencyLimit, InvalidInputError, TargetNotFoundError } from '../domain/errors';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import { type Applied, PlannedStateSchema, type PlannedState, wouldApply } from '../domain/execution-state';
import { assertStillActionable, stillActionableAnd } from '../aws/alarms';

const automationRoleArn = stringEnv('AUTOMATION_ROLE_ARN', '') || undefined;
// AWS allows 100 concurrent automations per account; the platform keeps well under it.
const maxConcurrentAutomations = numberEnv('MAX_CONCURRENT_AUTOMATIONS', 10);
const INCIDENT_TAG = 'selfhealing:incident';

/**
 * The platform's automations still running (tagged with an incident), read page by page (SSM
 * returns at most 50 a page) until the ceiling is reached: enough to enforce any ceiling up to 100.
 */
async function runningAutomations(): Promise<string[]> {
  const running: string[] = [];
  const pages = paginateDescribeAutomationExecutions(
    { client: ssm, pageSize: 50 },
    {
      Filters: [
        { Key: 'ExecutionStatus', Values: ['Pending', 'InProgress', 'Waiting'] },
        { Key: 'TagKey', Values: [INCIDENT_TAG] },
      ],
    },
  );
  try {
    for await (const page of pages) {
      running.push(...(page.AutomationExecutionMetadataList ?? []).map((m) => m.AutomationExecutionId ?? ''));
      if (running.length >= maxConcurrentAutomations) break;
    }
  } catch (error) {
    throw toNamedAwsError(error, 'SSM.DescribeAutomationExecutions');
  }
  return running;
}

/** SSM wants a UUID-shaped ClientToken: derive one from the incident, so a retried start returns the same execution. */
export function clientTokenFor(incidentId: string, documentName: string): string {
  const hex = createHash('sha256').update(`${incidentId}|${documentName}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function startAutomation(state: PlannedState): Promise<Applied> {
  logger.appendKeys({ incidentId: state.incident.id });
  const action = state.plan.action;
  if (action?.type !== 'run-automation')
    throw new InvalidInputError(`Automation task cannot run ${action?.type ?? 'no action'}`);
  const dryRun = state.plan.dryRun || stackDryRun();
  const parameters: Record<string, string[]> = { ...action.parameters };
  if (action.useAutomationRole && automationRoleArn && !parameters.AutomationAssumeRole) {
    parameters.AutomationAssumeRole = [automationRoleArn];
  }
  const input = {
    DocumentName: action.documentName,
    ...(action.documentVersion ? { DocumentVersion: action.documentVersion } : {}),
    Parameters: parameters,
    ClientToken: clientTokenFor(state.incident.id, action.documentName),
    Tags: [{ Key: INCIDENT_TAG, Value: state.incident.id }],
  };
  const call = { operation: 'SSM.StartAutomationExecution', input };
  const appliedAt = clock.now().toISOString();
  const description = `run ${action.documentName} with ${JSON.stringify(action.parameters)}`;
  if (dryRun) {
    await assertStillActionable(state, clock.now());
    return wouldApply(description, call, appliedAt);
  }
  const { found: running } = await stillActionableAnd(state, clock.now(), runningAutomations);
  if (running.length >= maxConcurrentAutomations) {
    throw new AutomationConcurrencyLimit(
      `${running.length} platform automations are running (ceiling ${maxConcurrentAutomations}); retrying later`,
    );
  }
  const out = await callAws(call.operation, () => ssm.send(new StartAutomationExecutionCommand(input))).catch(
    (error: unknown) => {
      if (error instanceof Error && error.name === 'AutomationDefinitionNotFoundException') {
        throw new TargetNotFoundError(`Automation document ${action.documentName} does not exist`, { cause: error });
      }
      throw error;
    },
  );
  if (!out.AutomationExecutionId) throw new TargetNotFoundError('StartAutomationExecution returned no execution id');
  logger.info('Started automation', { executionId: out.AutomationExecutionId, documentName: action.documentName });
  return {
    applied: true,
    dryRun,
    description: `${description} (execution ${out.AutomationExecutionId})`,
    call,
    watch: { kind: 'automation', executionId: out.AutomationExecutionId },
    appliedAt,
  };
}

export const handler = workflowTask(PlannedStateSchema, startAutomation);
