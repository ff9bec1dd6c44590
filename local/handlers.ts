import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, functionsOf, loadTemplate } from './template';
import type { LambdaHandler } from './workflow';

/**
 * Every function's handler by logical id: the TypeScript source (default), or the bundles a build
 * wrote to `bundles` (.aws-sam/build/<LogicalId>/handler.mjs), loaded the way the Lambda runtime
 * loads them. Import only after the environment is set: handlers read it at module load.
 */
export async function loadHandlers(bundles?: string): Promise<Record<string, LambdaHandler>> {
  if (!bundles) return (await import('./functions')).FUNCTION_HANDLERS;
  const handlers: Record<string, LambdaHandler> = {};
  for (const [logicalId, fn] of functionsOf(loadTemplate())) {
    const [module = 'index', exported = 'handler'] = (
      (fn.Properties?.Handler as string | undefined) ?? 'index.handler'
    ).split('.');
    const loaded = (await import(pathToFileURL(join(bundles, logicalId, `${module}.mjs`)).href)) as Record<
      string,
      unknown
    >;
    const handler = loaded[exported];
    if (typeof handler !== 'function')
      throw new Error(`${logicalId}: ${module}.mjs in ${bundles} exports no ${exported} function`);
    handlers[logicalId] = handler as LambdaHandler;
  }
  return handlers;
}

/**
 * One function's handler from its TypeScript source (the template's entry point), loading only that
 * module, as Lambda loads only its own: another function's required variables are not read.
 */
export async function loadHandler(logicalId: string): Promise<LambdaHandler> {
  const entry = loadTemplate().Resources[logicalId]?.Metadata?.BuildProperties?.EntryPoints?.[0];
  if (!entry) throw new Error(`${logicalId}: no esbuild entry point in template.yaml`);
  const loaded = (await import(pathToFileURL(join(ROOT, entry)).href)) as { handler?: unknown };
  if (typeof loaded.handler !== 'function') throw new Error(`${logicalId}: ${entry} exports no handler function`);
  return loaded.handler as LambdaHandler;
}
