import { createHash } from 'node:crypto';
import type { Action } from './policy/actions';

// The SSM Automation run an incident asks for, as the one call that starts it.

export const INCIDENT_TAG = 'selfhealing:incident';

type AutomationAction = Extract<Action, { type: 'run-automation' }>;

/** SSM wants a UUID-shaped ClientToken: derive one from the incident, so a retried start returns the same execution. */
export function clientTokenFor(incidentId: string, documentName: string): string {
  const hex = createHash('sha256').update(`${incidentId}|${documentName}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** StartAutomationExecution's input: tagged with the incident, idempotent by its client token. */
export function automationRequest(action: AutomationAction, incidentId: string, automationRoleArn: string | undefined) {
  const parameters: Record<string, string[]> = { ...action.parameters };
  if (action.useAutomationRole && automationRoleArn && !parameters.AutomationAssumeRole) {
    parameters.AutomationAssumeRole = [automationRoleArn];
  }
  return {
    DocumentName: action.documentName,
    ...(action.documentVersion ? { DocumentVersion: action.documentVersion } : {}),
    Parameters: parameters,
    ClientToken: clientTokenFor(incidentId, action.documentName),
    Tags: [{ Key: INCIDENT_TAG, Value: incidentId }],
  };
}
export type AutomationRequest = ReturnType<typeof automationRequest>;

// Terminal statuses of an automation execution (SSM AutomationExecutionStatus). Exited: a step
// chose to end the runbook early (onFailure: Abort/exit paths), which is not a recovery.
export const AUTOMATION_SUCCEEDED = new Set(['Success', 'CompletedWithSuccess']);
export const AUTOMATION_FAILED = new Set([
  'Failed',
  'TimedOut',
  'Cancelled',
  'CompletedWithFailure',
  'Rejected',
  'Exited',
  'ChangeCalendarOverrideRejected',
]);
