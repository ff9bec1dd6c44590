import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yamlCfn from 'yaml-cfn';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: { BuildMethod?: string; BuildProperties?: { EntryPoints?: string[]; Format?: string } };
  Condition?: string;
}
export interface Template {
  Parameters: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, unknown>;
  Globals: { Function: Record<string, unknown> };
}

/** template.yaml with CloudFormation tags (!Ref, !GetAtt, !Sub…) parsed into their JSON forms. */
export function loadTemplate(): Template {
  return yamlCfn.yamlParse(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as Template;
}

export function functionsOf(template: Template): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
}
