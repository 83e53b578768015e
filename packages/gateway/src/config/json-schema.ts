// The JSON Schema of edgepass.yaml (for editors: `# yaml-language-server: $schema=...`), generated
// from the zod schema. packages/gateway/edgepass.schema.json is this output; a test fails when the
// file is stale and `npm run schema -w packages/gateway` regenerates it.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.ts';

export const SCHEMA_ID = 'https://edgepass.dev/schemas/edgepass.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: SCHEMA_ID, title: 'edgepass gateway configuration (edgepass.yaml)' };
}

/** The file's exact content: stable key order, two-space indent, trailing newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** Where the generated file lives (the package root). */
export const SCHEMA_FILE = fileURLToPath(new URL('../../edgepass.schema.json', import.meta.url));

// `node src/config/json-schema.ts` (npm run schema -w packages/gateway) regenerates the file.
if (import.meta.main) {
  writeFileSync(SCHEMA_FILE, configJsonSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
