import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// The AWS wire protocols of exactly the operations the handlers use, as the installed SDK v3
// clients speak them: Query (Auto Scaling, SNS: form body in, XML out) and JSON 1.0/1.1
// (CodeDeploy, SSM, CloudWatch, Step Functions, SQS: X-Amz-Target header, JSON both ways).

export type Protocol = 'query' | 'json';
export type Params = Record<string, unknown>;

export interface ParsedRequest {
  service: string;
  operation: string;
  protocol: Protocol;
  params: Params;
  /** JSON 1.0 services that are "awsQueryCompatible" also want the query error code in a header. */
  queryCompatible: boolean;
  /** Query protocol: the XML namespace of the service's responses. */
  xmlns?: string;
}

const JSON_TARGETS: Record<string, { service: string; queryCompatible: boolean }> = {
  CodeDeploy_20141006: { service: 'CodeDeploy', queryCompatible: false },
  AmazonSSM: { service: 'SSM', queryCompatible: false },
  GraniteServiceVersion20100801: { service: 'CloudWatch', queryCompatible: true },
  AWSStepFunctions: { service: 'StepFunctions', queryCompatible: false },
  AmazonSQS: { service: 'SQS', queryCompatible: true },
  DynamoDB_20120810: { service: 'DynamoDB', queryCompatible: false },
};

const QUERY_VERSIONS: Record<string, { service: string; xmlns: string }> = {
  '2011-01-01': { service: 'AutoScaling', xmlns: 'http://autoscaling.amazonaws.com/doc/2011-01-01/' },
  '2010-03-31': { service: 'SNS', xmlns: 'http://sns.amazonaws.com/doc/2010-03-31/' },
};

export class ProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** The Query protocol's code, where a query-compatible JSON service names it differently (SQS). */
    readonly queryCode?: string,
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * Expands Query-protocol form fields into nested values:
 * `AutoScalingGroupNames.member.1=a` → `{ AutoScalingGroupNames: ['a'] }`,
 * `MessageAttributes.entry.1.Name=k&…Value.StringValue=v` → `{ MessageAttributes: [{ Name: 'k', Value: { StringValue: 'v' } }] }`.
 */
export function expandQuery(form: URLSearchParams): Params {
  const root: Params = {};
  for (const [key, value] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const last = i === parts.length - 1;
      if ((part === 'member' || part === 'entry') && !last) continue;
      const index = /^\d+$/.test(part) ? Number(part) - 1 : undefined;
      const nextIsIndex = !last && /^(member|entry)$/.test(parts[i + 1] ?? '');
      const container: Record<string, unknown> = node;
      const slot: string | number = index ?? part;
      if (last) {
        (container as Record<string | number, unknown>)[slot] = value;
      } else {
        const existing = (container as Record<string | number, unknown>)[slot];
        const child = existing ?? (nextIsIndex ? [] : {});
        (container as Record<string | number, unknown>)[slot] = child;
        node = child as Record<string, unknown>;
      }
    }
  }
  return root;
}

export function parseRequest(headers: IncomingHttpHeaders, body: string): ParsedRequest {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', operation = ''] = target.split('.');
    const known = JSON_TARGETS[prefix];
    if (!known) throw new ProtocolError('UnknownOperationException', `Unknown X-Amz-Target ${target}`);
    let params: Params;
    try {
      params = body ? (JSON.parse(body) as Params) : {};
    } catch {
      throw new ProtocolError('SerializationException', 'Request body is not valid JSON');
    }
    return { service: known.service, operation, protocol: 'json', params, queryCompatible: known.queryCompatible };
  }
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  const version = form.get('Version') ?? '';
  const known = QUERY_VERSIONS[version];
  if (!action || !known) {
    throw new ProtocolError(
      'InvalidAction',
      `Cannot tell the service of this request (Action=${action ?? '?'}, Version=${version || '?'})`,
    );
  }
  return {
    service: known.service,
    operation: action,
    protocol: 'query',
    params: expandQuery(form),
    queryCompatible: false,
    xmlns: known.xmlns,
  };
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Serialises a value the way Query-protocol XML responses do: lists as <member>, dates as ISO-8601. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(typeof value === 'string' ? value : JSON.stringify(value));
}

/** JSON protocols send timestamps as epoch seconds. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function successReply(request: ParsedRequest, result: Params): HttpReply {
  const requestId = randomUUID();
  if (request.protocol === 'json') {
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      body: JSON.stringify(result, jsonReplacer),
    };
  }
  const op = request.operation;
  const inner = Object.keys(result).length > 0 ? `<${op}Result>${toXml(result)}</${op}Result>` : '';
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<${op}Response xmlns="${request.xmlns ?? ''}">${inner}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`,
  };
}

export function errorReply(
  request: Pick<ParsedRequest, 'protocol' | 'queryCompatible'>,
  code: string,
  message: string,
  status: number,
  queryCode = code,
): HttpReply {
  const requestId = randomUUID();
  const fault = status >= 500 ? 'Receiver' : 'Sender';
  if (request.protocol === 'json') {
    return {
      status,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': code,
        ...(request.queryCompatible ? { 'x-amzn-query-error': `${queryCode};${fault}` } : {}),
      },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse><Error><Type>${fault}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
