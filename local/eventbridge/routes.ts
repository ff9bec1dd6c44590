import { type Template, resolveIntrinsics } from '../template';
import { matchesPattern } from './pattern';

export interface Route {
  /** Logical id of the function and the name of its event in template.yaml. */
  functionId: string;
  eventName: string;
  type: 'EventBridgeRule' | 'SNS';
  pattern?: unknown;
  topic?: string;
}

/** Every SNS subscription and EventBridge rule the template declares, with patterns resolved. */
export function routesOf(template: Template, parameters: Record<string, string> = {}): Route[] {
  const routes: Route[] = [];
  for (const [functionId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const events = (resource.Properties?.Events ?? {}) as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    for (const [eventName, event] of Object.entries(events)) {
      if (event.Type === 'EventBridgeRule') {
        routes.push({
          functionId,
          eventName,
          type: 'EventBridgeRule',
          pattern: resolveIntrinsics(event.Properties.Pattern, template, parameters),
        });
      } else if (event.Type === 'SNS') {
        routes.push({
          functionId,
          eventName,
          type: 'SNS',
          topic: String((event.Properties.Topic as { Ref?: string }).Ref ?? ''),
        });
      }
    }
  }
  return routes;
}

/** The EventBridge rules an event matches, as EventBridge would route it. */
export function matchingRules(routes: Route[], event: unknown): Route[] {
  return routes.filter((r) => r.type === 'EventBridgeRule' && matchesPattern(r.pattern, event));
}
