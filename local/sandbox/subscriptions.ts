import { invokeLocally, lambdaContext } from '../lambda-context';
import { matchingRules, routesOf } from '../eventbridge/routes';
import { inboundOfFleetEvent } from '../scenarios';
import { loadTemplate, resolveIntrinsics } from '../template';
import type { Sandbox } from './server';
import type { Published } from './services';

// What AWS does around the platform when a person drives the sandbox (npm run sandbox): an alarm
// that changes state (aws cloudwatch set-alarm-state, or the fleet's own evaluation) notifies its
// topic or EventBridge, the fleet's activities are announced on EventBridge, and a message
// published to a topic reaches the functions subscribed to it, each invoked asynchronously as
// Lambda invokes for SNS and EventBridge. The drill delivers these itself (with its retries and
// timeline), so only the long-running sandbox turns this on.

export function deliverLikeAws(sandbox: Sandbox, log: (line: string) => void): void {
  const template = loadTemplate();
  const routes = routesOf(template);
  const invoke = (functionId: string, event: unknown, what: string) => {
    const handler = sandbox.handlers[functionId];
    if (!handler) return;
    void invokeLocally(handler, JSON.parse(JSON.stringify(event)), lambdaContext(functionId)).then(
      (result) => log(`${what} → ${functionId}: ${JSON.stringify(result).slice(0, 300)}`),
      (error: unknown) =>
        log(`${what} → ${functionId} failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  const topicArnOf = (topic: string) => String(resolveIntrinsics({ Ref: topic }, template, {}));
  sandbox.fleet.onEvent((fleetEvent) => {
    const inbound = inboundOfFleetEvent(sandbox.fleet, fleetEvent);
    if (inbound.channel === 'sns') {
      for (const route of routes.filter((r) => r.type === 'SNS' && r.topic === 'AlarmTopic'))
        invoke(route.functionId, inbound.event, inbound.description);
      return;
    }
    for (const route of matchingRules(routes, inbound.event))
      invoke(route.functionId, inbound.event, inbound.description);
  });
  sandbox.onPublished = (message: Published) => {
    for (const route of routes.filter((r) => r.type === 'SNS' && r.topic && topicArnOf(r.topic) === message.topicArn))
      invoke(route.functionId, snsEvent(message), `SNS ${message.topicArn}`);
  };
}

/** The event Lambda receives for one SNS message. */
function snsEvent(message: Published): unknown {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${message.topicArn}:sandbox-subscription`,
        Sns: {
          Type: 'Notification',
          MessageId: `sandbox-${message.at}`,
          TopicArn: message.topicArn,
          ...(message.subject ? { Subject: message.subject } : {}),
          Message: message.message,
          Timestamp: new Date(message.at).toISOString(),
          SignatureVersion: '1',
          Signature: 'sandbox',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/sandbox.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([k, v]) => [k, { Type: 'String', Value: v }]),
          ),
        },
      },
    ],
  };
}
