// npm run build: bundles every function the way `sam build` does, from the esbuild Metadata
// of template.yaml, into dist/<LogicalId>/ (no SAM CLI or Docker needed).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { type Resource, functionsOf, loadTemplate } from '../local/template';

export interface BuiltFunction {
  logicalId: string;
  outfile: string;
  bytes: number;
}

/** The BuildProperties SAM's esbuild builder understands (and this project uses). */
export interface EsbuildProperties {
  EntryPoints?: string[];
  Format?: 'esm' | 'cjs';
  Target?: string;
  Minify?: boolean;
  Sourcemap?: boolean;
  OutExtension?: string[];
  Banner?: string[];
  External?: string[];
  MainFields?: string[];
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function buildPropertiesOf(fn: Resource): EsbuildProperties {
  return (fn.Metadata?.BuildProperties ?? {}) as EsbuildProperties;
}

/** SAM passes each BuildProperties entry to esbuild as a flag; this mirrors that mapping. */
export async function buildOne(logicalId: string, props: EsbuildProperties, outDir: string): Promise<BuiltFunction> {
  const dir = join(outDir, logicalId);
  mkdirSync(dir, { recursive: true });
  const outExtension = Object.fromEntries((props.OutExtension ?? []).map((e) => e.split('=') as [string, string]));
  const banner = Object.fromEntries((props.Banner ?? []).map((b) => [b.slice(0, b.indexOf('=')), b.slice(b.indexOf('=') + 1)]));
  await build({
    entryPoints: (props.EntryPoints ?? []).map((e) => join(ROOT, e)),
    bundle: true,
    platform: 'node',
    format: props.Format ?? 'cjs',
    target: props.Target ?? 'es2023',
    minify: props.Minify ?? false,
    sourcemap: props.Sourcemap ?? false,
    outdir: dir,
    outExtension,
    banner,
    external: props.External ?? [],
    ...(props.MainFields ? { mainFields: props.MainFields } : {}),
    logLevel: 'warning',
  });
  const entry = props.EntryPoints?.[0] ?? 'handler.ts';
  const outfile = join(dir, `${basename(entry, extname(entry))}${outExtension['.js'] ?? '.js'}`);
  return { logicalId, outfile, bytes: statSync(outfile).size };
}

export async function buildFunctions(outDir = join(ROOT, 'dist')): Promise<BuiltFunction[]> {
  rmSync(outDir, { recursive: true, force: true });
  const built: BuiltFunction[] = [];
  for (const [logicalId, fn] of functionsOf(loadTemplate())) built.push(await buildOne(logicalId, buildPropertiesOf(fn), outDir));
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const fn of await buildFunctions()) {
    console.log(`${fn.logicalId.padEnd(28)} ${(fn.bytes / 1024).toFixed(0).padStart(6)} KB  ${fn.outfile}`);
  }
}
