// npm run generate: rewrites the committed JSON Schemas from the zod schemas (a test fails when they drift).
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonSchemas, serialise } from './json-schemas';

for (const [path, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', path), serialise(schema));
  console.log(`wrote ${path}`);
}
