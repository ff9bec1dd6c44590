import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from '@jest/globals';
import { bundlesUnderTest, describeBuilt } from '../helpers/artifact';
import { EVENTS_DIR } from '../helpers/fixtures';
import { ALLOWED_GROWTH, bundleBaseline } from '../../bench/baseline';

// The bundles the real builder made (npm run build: aws-lambda-builders, as `sam build`), each
// loaded in a fresh Node process the way the Lambda runtime imports handler.mjs.
const built = bundlesUnderTest();

function runInFreshNode(script: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    // The fixture's incident is dated: a year's maximum age keeps it actionable on the real clock.
    env: {
      ...process.env,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      MAX_INCIDENT_AGE_SECONDS: '31536000',
    },
  });
}

describeBuilt('the bundles sam build makes', () => {
  it('grows no bundle more than 10 % over the committed baseline (npm run bench -- --baseline accepts new sizes)', () => {
    const baseline = bundleBaseline();
    const oversized = built
      .filter((b) => b.bytes > (baseline[b.logicalId] ?? 0) * (1 + ALLOWED_GROWTH))
      .map((b) => `${b.logicalId}: ${b.bytes} bytes, baseline ${baseline[b.logicalId] ?? 'missing'}`);
    expect(oversized).toEqual([]);
  });

  it('builds one ESM bundle per function, each exporting a handler that loads with no node_modules', () => {
    expect(built).toHaveLength(13);
    for (const fn of built) {
      const result = runInFreshNode(
        `const m = await import(${JSON.stringify(pathToFileURL(fn.outfile).href)}); process.stdout.write(typeof m.handler);`,
      );
      expect([fn.logicalId, result.stdout, result.stderr]).toEqual([fn.logicalId, 'function', '']);
    }
  }, 60_000);

  it("runs the bundled guard function's plan step, with the policy bundled in, on its fixture", () => {
    const plan = built.find((fn) => fn.logicalId === 'GuardFunction');
    // The plan step reads who started the execution from the guard table: a DynamoDB that holds nothing.
    const result = runInFreshNode(`
      import { readFileSync } from 'node:fs';
      import { createServer } from 'node:http';
      import { once } from 'node:events';
      const dynamoDb = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
      }).listen(0, '127.0.0.1');
      await once(dynamoDb, 'listening');
      process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:' + dynamoDb.address().port;
      const { handler } = await import(${JSON.stringify(pathToFileURL(plan?.outfile ?? '').href)});
      const event = JSON.parse(readFileSync(${JSON.stringify(join(EVENTS_DIR, 'plan-incident.json'))}, 'utf8'));
      const out = await handler(event, { functionName: 'GuardFunction', getRemainingTimeInMillis: () => 30000 });
      process.stdout.write(JSON.stringify({ rule: out.plan.rule, action: out.plan.action.type }));
      dynamoDb.close();`);

    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ rule: 'high-cpu-scale-out', action: 'scale-out' });
  }, 30_000);
});
