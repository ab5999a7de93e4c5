// Rewrites test/fixtures/plan-golden.json from the code of this checkout: run it only on a
// checkout whose planning is known good (it was written from commit 93f43ea).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { observePlans } from './plan-scenarios.ts';

await writeFile(
  join(import.meta.dirname, 'fixtures', 'plan-golden.json'),
  `${JSON.stringify(await observePlans(), null, 2)}\n`,
);
