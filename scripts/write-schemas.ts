// Writes schemas/*.schema.json from the zod schemas (src/schemas.ts): `npm run schemas`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMAS, jsonSchemaOf } from '../src/schemas.ts';

for (const name of Object.keys(CONFIG_SCHEMAS) as (keyof typeof CONFIG_SCHEMAS)[]) {
  const file = fileURLToPath(new URL(`../schemas/${name}.schema.json`, import.meta.url));
  writeFileSync(file, jsonSchemaOf(name));
  console.log(`wrote ${file}`);
}
