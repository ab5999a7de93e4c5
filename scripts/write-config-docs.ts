// Rewrites the key tables of docs/configuration.md from libs/mirror/src/config/keys.ts.
//   node scripts/write-config-docs.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withKeyReference } from '../libs/mirror/src/config/config-docs.ts';

const docsPath = join(import.meta.dirname, '..', 'docs', 'configuration.md');
const before = readFileSync(docsPath, 'utf8');
const after = withKeyReference(before);
if (after === before) {
  process.stdout.write('docs/configuration.md is up to date\n');
} else {
  writeFileSync(docsPath, after);
  process.stdout.write('docs/configuration.md: key tables rewritten\n');
}
