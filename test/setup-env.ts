// The environment the template gives every function, set before any handler module loads.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.ENVIRONMENT = 'test';
process.env.POWERTOOLS_SERVICE_NAME = 'self-healing';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'SelfHealing';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
// No X-Ray in tests, so no automatic mode: its async hooks would slow every promise in the worker.
process.env.AWS_XRAY_MANUAL_MODE = '1';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:remediation';
process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest-dlq';
process.env.NOTIFICATION_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:self-healing-notifications';
process.env.APPROVAL_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:self-healing-approvals';
process.env.AUTOMATION_ROLE_ARN = 'arn:aws:iam::123456789012:role/self-healing-automation';
process.env.DRY_RUN = 'false';
process.env.GUARD_TABLE_NAME = 'GuardTable';
process.env.PAUSE_PARAMETER_NAME = '/self-healing/paused';
process.env.CIRCUIT_BREAKER_THRESHOLD = '3';
process.env.CIRCUIT_BREAKER_WINDOW_SECONDS = '3600';
process.env.MAX_CONCURRENT_AUTOMATIONS = '3';
process.env.RESTART_SERVICE_DOCUMENT = 'self-healing-RestartService';
