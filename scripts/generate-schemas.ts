// npm run generate: rewrites the committed JSON Schemas from the zod schemas and docs/architecture.md's
// workflow diagram from the ASL (tests fail when either drifts).
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonSchemas, serialise } from './json-schemas';
import { withDiagram } from './workflow-diagram';

for (const [path, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', path), serialise(schema));
  console.log(`wrote ${path}`);
}

const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'architecture.md');
writeFileSync(readme, withDiagram(readFileSync(readme, 'utf8')));
console.log('wrote the workflow diagram into docs/architecture.md');
