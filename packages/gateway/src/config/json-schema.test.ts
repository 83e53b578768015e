import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, configJsonSchemaText, SCHEMA_FILE } from './json-schema.ts';
import { parseConfigText } from './load.ts';

test('edgepass.schema.json is up to date (regenerate: npm run schema -w packages/gateway)', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), configJsonSchemaText());
});

test('the JSON Schema is strict: unknown keys are not allowed, required fields are listed', () => {
  const schema = configJsonSchema() as {
    additionalProperties: boolean;
    required: string[];
    properties: { routes: { items: { additionalProperties: boolean; required: string[] } } };
  };
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required.sort(), ['gateway', 'routes']);
  assert.equal(schema.properties.routes.items.additionalProperties, false);
  assert.deepEqual(schema.properties.routes.items.required.sort(), ['accept', 'match', 'name', 'service', 'upstream']);
});

test('examples/edgepass.yaml is a valid config', () => {
  const file = fileURLToPath(new URL('../../../../examples/edgepass.yaml', import.meta.url));
  const config = parseConfigText(readFileSync(file, 'utf8'), { env: {}, source: file });
  assert.ok(config.routes.length >= 3);
});
