import { handler as alarmIngest } from '../functions/alarm-ingest/handler';
import { handler as autoScalingAction } from '../functions/auto-scaling-action/handler';
import { handler as awaitEvent } from '../functions/await-event/handler';
import { handler as automation } from '../functions/run-automation/handler';
import { handler as checkProgress } from '../functions/check-progress/handler';
import { handler as correlateChange } from '../functions/correlate-change/handler';
import { handler as deploymentRollback } from '../functions/rollback-deployment/handler';
import { handler as escalate } from '../functions/escalate/handler';
import { handler as eventIngest } from '../functions/event-ingest/handler';
import { handler as guard } from '../functions/guard/handler';
import { handler as recordOutcome } from '../functions/record-outcome/handler';
import { handler as requestApproval } from '../functions/request-approval/handler';
import { handler as verifyRecovery } from '../functions/verify-recovery/handler';
import type { LambdaHandler } from './workflow';

/** Every function of template.yaml by logical id (a template test keeps this list complete). */
export const FUNCTION_HANDLERS: Record<string, LambdaHandler> = {
  AlarmIngestFunction: alarmIngest,
  EventIngestFunction: eventIngest,
  GuardFunction: guard,
  RequestApprovalFunction: requestApproval,
  AutoScalingActionFunction: autoScalingAction,
  DeploymentRollbackFunction: deploymentRollback,
  AutomationFunction: automation,
  CheckProgressFunction: checkProgress,
  VerifyRecoveryFunction: verifyRecovery,
  RecordOutcomeFunction: recordOutcome,
  EscalateFunction: escalate,
  CorrelateChangeFunction: correlateChange,
  AwaitEventFunction: awaitEvent,
};
