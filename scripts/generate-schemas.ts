// npm run generate: rewrites the committed JSON Schemas from the zod schemas (a test fails when they drift).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas, serialise } from './json-schemas';

for (const [path, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(import.meta.dirname, '..', path), serialise(schema));
  console.log(`wrote ${path}`);
}
