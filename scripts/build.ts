// npm run build: builds every function with the real `sam build` machinery into .aws-sam/build/.
// What ships is what `sam build` makes, so this does not bundle anything itself: it runs the SAM
// CLI's own builder (aws-lambda-builders, via ../shared/tools/sam-build) or `sam build` where the
// SAM CLI is installed. A BuildProperties value that `sam build` rejects fails here too.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { ROOT, type Resource, functionsOf, loadTemplate } from '../local/template';

export const BUILD_DIR = join(ROOT, '.aws-sam', 'build');
const STAMP = 'self-healing-build.json';
/** The shared copy of the SAM CLI's builder that this workplace provides (see README "Verified how"). */
const SAM_BUILD_TOOL = join(ROOT, '..', 'shared', 'tools', 'sam-build');
// Everything a bundle is made from: a change to any of it makes the built bundles stale.
const BUILD_INPUTS = ['template.yaml', 'package.json', 'package-lock.json', 'tsconfig.json', 'functions', 'policies'];

export interface BuiltFunction {
  logicalId: string;
  outfile: string;
  bytes: number;
}

interface Stamp {
  inputs: string;
  builder: string;
  functions: BuiltFunction[];
}

/** What of package.json reaches a bundle: the builder installs the dependencies (scripts do not matter). */
function manifestInputs(path: string): string {
  const { type, dependencies, overrides } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return JSON.stringify({ type, dependencies, overrides });
}

/** A digest of every file the bundles are built from. */
export function buildInputsDigest(root = ROOT): string {
  const hash = createHash('sha256');
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
      return;
    }
    const name = relative(root, path);
    hash
      .update(name)
      .update('\0')
      .update(name === 'package.json' ? manifestInputs(path) : readFileSync(path))
      .update('\0');
  };
  for (const input of BUILD_INPUTS) if (existsSync(join(root, input))) visit(join(root, input));
  return hash.digest('hex');
}

/** The handler file `sam build` writes for a function: Handler's module + OutExtension. */
function outfileOf(outDir: string, logicalId: string, fn: Resource): string {
  const props = fn.Metadata?.BuildProperties as { OutExtension?: string[] } | undefined;
  const extension = (props?.OutExtension ?? []).find((e) => e.startsWith('.js='))?.slice(4) ?? '.js';
  const handler = String((fn.Properties?.Handler as string | undefined) ?? 'index.handler');
  return join(outDir, logicalId, `${handler.slice(0, handler.lastIndexOf('.'))}${extension}`);
}

/**
 * The command that builds like `sam build`: the workplace's sam-build tool, or the SAM CLI itself.
 * SAM_BUILD=<path> chooses another copy of the tool.
 */
export function samBuilder(): {
  command: string;
  args: (ids: string[], outDir: string) => string[];
  oneProcess: boolean;
} {
  const tool = process.env.SAM_BUILD ?? SAM_BUILD_TOOL;
  if (existsSync(tool)) return { command: tool, args: (ids, outDir) => ['--out', outDir, ...ids], oneProcess: false };
  if (spawnSync('sam', ['--version'], { stdio: 'ignore' }).status === 0) {
    // The SAM CLI builds one resource or all of them: all, in parallel, in one process.
    return { command: 'sam', args: (_ids, outDir) => ['build', '--parallel', '--build-dir', outDir], oneProcess: true };
  }
  throw new Error(
    `No builder: neither ${tool} nor the SAM CLI (sam) is available. Install the AWS SAM CLI, or set SAM_BUILD.`,
  );
}

function run(command: string, args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    // The builder looks for esbuild on PATH (as in the CodeBuild image): the project's own, from the lock file.
    const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status: status ?? 1, output }));
  });
}

/**
 * Builds the functions (all by default) into outDir with the real builder, `parallel` builder
 * processes at a time (each function's build is mostly its `npm install`). Throws with the
 * builder's own output when any function fails.
 */
export async function buildFunctions(
  options: { outDir?: string; ids?: string[]; parallel?: number } = {},
): Promise<BuiltFunction[]> {
  const outDir = options.outDir ?? BUILD_DIR;
  const template = loadTemplate();
  const functions = functionsOf(template).filter(([id]) => !options.ids || options.ids.includes(id));
  const builder = samBuilder();
  const parallel = Math.max(1, options.parallel ?? 3);
  const inputs = buildInputsDigest();
  rmSync(join(outDir, STAMP), { force: true });
  mkdirSync(outDir, { recursive: true });
  const batches: string[][] = Array.from(
    { length: builder.oneProcess ? 1 : Math.min(parallel, functions.length) },
    () => [],
  );
  functions.forEach(([id], i) => batches[i % batches.length]?.push(id));
  const results = await Promise.all(batches.map((ids) => run(builder.command, builder.args(ids, outDir))));
  const failed = results.filter((r) => r.status !== 0);
  if (failed.length > 0) throw new Error(`sam build failed:\n${failed.map((r) => r.output).join('\n')}`);
  const built = functions.map(([logicalId, fn]) => {
    const outfile = outfileOf(outDir, logicalId, fn);
    if (!existsSync(outfile))
      throw new Error(`${logicalId}: the builder reported success but wrote no ${relative(ROOT, outfile)}`);
    return { logicalId, outfile, bytes: statSync(outfile).size };
  });
  if (!options.ids)
    writeFileSync(
      join(outDir, STAMP),
      `${JSON.stringify({ inputs, builder: builder.command, functions: built } satisfies Stamp, null, 2)}\n`,
    );
  return built;
}

/**
 * The bundles `npm run build` made, refused when any input changed since (tests must run what
 * would ship, not an older build).
 */
export function builtFunctions(outDir = BUILD_DIR): BuiltFunction[] {
  const path = join(outDir, STAMP);
  if (!existsSync(path)) throw new Error(`No built bundles in ${relative(ROOT, outDir)}: run npm run build`);
  const stamp = JSON.parse(readFileSync(path, 'utf8')) as Stamp;
  if (stamp.inputs !== buildInputsDigest())
    throw new Error(`The bundles in ${relative(ROOT, outDir)} are older than the source: run npm run build`);
  return stamp.functions;
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
  MainFields?: string;
}

export function buildPropertiesOf(fn: Resource): EsbuildProperties {
  return (fn.Metadata?.BuildProperties ?? {}) as EsbuildProperties;
}

/**
 * Bundles an entry that is not a function of the template (the bench's empty handler and floors)
 * with a function's BuildProperties, through esbuild's API. Not for anything that ships: the
 * functions themselves are built by buildFunctions.
 */
export async function bundleLikeFunction(id: string, props: EsbuildProperties, outDir: string): Promise<BuiltFunction> {
  const dir = join(outDir, id);
  mkdirSync(dir, { recursive: true });
  const outExtension = Object.fromEntries((props.OutExtension ?? []).map((e) => e.split('=') as [string, string]));
  const banner = Object.fromEntries(
    (props.Banner ?? []).map((b) => [b.slice(0, b.indexOf('=')), b.slice(b.indexOf('=') + 1)]),
  );
  await build({
    entryPoints: (props.EntryPoints ?? []).map((e) => join(ROOT, e)),
    bundle: true,
    platform: 'node',
    format: props.Format ?? 'cjs',
    target: props.Target ?? 'es2020',
    minify: props.Minify ?? true,
    sourcemap: props.Sourcemap ?? false,
    outdir: dir,
    outExtension,
    banner,
    external: props.External ?? [],
    ...(props.MainFields ? { mainFields: props.MainFields.split(',') } : {}),
    logLevel: 'warning',
  });
  const entry = props.EntryPoints?.[0] ?? 'handler.ts';
  const base = entry.slice(entry.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  const outfile = join(dir, `${base}${outExtension['.js'] ?? '.js'}`);
  return { logicalId: id, outfile, bytes: statSync(outfile).size };
}

/** Why this machine cannot build like sam build (undefined: it can). */
export function builderMissing(): string | undefined {
  try {
    samBuilder();
  } catch (error) {
    return (error as Error).message;
  }
  const tool = process.env.SAM_BUILD ?? SAM_BUILD_TOOL;
  if (
    existsSync(tool) &&
    spawnSync('python3', ['-c', 'import cfnlint, samtranslator'], { stdio: 'ignore' }).status !== 0
  ) {
    return `${tool} needs python3 with cfn-lint and aws-sam-translator`;
  }
  return undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  // npm test: where no builder exists (a laptop without the SAM CLI), say so and leave the artifact
  // tests to skip; in CI a missing builder fails.
  if (args[0] === '--if-available') {
    args.shift();
    const missing = builderMissing();
    if (missing && process.env.CI !== 'true') {
      console.warn(
        `npm run build skipped: ${missing}. The tests of the built bundles (test/artifact) will be skipped.`,
      );
      process.exit(0);
    }
  }
  const started = performance.now();
  const built = await buildFunctions({ ids: args.length > 0 ? args : undefined });
  for (const fn of built)
    console.log(
      `${fn.logicalId.padEnd(28)} ${(fn.bytes / 1024).toFixed(0).padStart(6)} KB  ${relative(ROOT, fn.outfile)}`,
    );
  console.log(
    `${built.length} functions built with ${samBuilder().command} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
