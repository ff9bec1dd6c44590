import {
  GetAutomationExecutionCommand,
  StartAutomationExecutionCommand,
  paginateDescribeAutomationExecutions,
} from '@aws-sdk/client-ssm';
import { callAws, toNamedAwsError } from './aws-errors';
import { ssm, ssmOneAttempt } from './clients/ssm';
import { TargetNotFoundError } from '../domain/errors';
import { type AutomationRequest, INCIDENT_TAG } from '../domain/automation';

// Every SSM Automation call the platform makes: the runbook started, watched, and counted.

/**
 * The platform's automations still running (tagged with an incident), read page by page (SSM
 * returns at most 50 a page) until the ceiling is reached: enough to enforce any ceiling up to 100.
 */
export async function runningAutomations(ceiling: number): Promise<string[]> {
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
      if (running.length >= ceiling) break;
    }
  } catch (error) {
    throw toNamedAwsError(error, 'SSM.DescribeAutomationExecutions');
  }
  return running;
}

/** The mutating call: starts the runbook and returns its execution id. */
export async function startAutomationExecution(input: AutomationRequest): Promise<string> {
  const out = await callAws('SSM.StartAutomationExecution', () =>
    ssmOneAttempt.send(new StartAutomationExecutionCommand(input)),
  ).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'AutomationDefinitionNotFoundException') {
      throw new TargetNotFoundError(`Automation document ${input.DocumentName} does not exist`, { cause: error });
    }
    throw error;
  });
  if (!out.AutomationExecutionId) throw new TargetNotFoundError('StartAutomationExecution returned no execution id');
  return out.AutomationExecutionId;
}

export async function automationStatus(executionId: string): Promise<{ status: string; failureMessage?: string }> {
  const out = await callAws('SSM.GetAutomationExecution', () =>
    ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId })),
  );
  const execution = out.AutomationExecution;
  return {
    status: execution?.AutomationExecutionStatus ?? 'Unknown',
    ...(execution?.FailureMessage ? { failureMessage: execution.FailureMessage } : {}),
  };
}
