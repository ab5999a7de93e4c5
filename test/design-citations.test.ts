// Code comments cite docs/design.md by section (`docs/design.md §5`) and the publication invariants
// by number (`§5, invariant 3`): every citation must name a section and an invariant that exist,
// and nothing may cite the design notes the repository does not have (`DESIGN §n`).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.tools', '.venv', 'fixtures']);
const CITATION = /docs\/design\.md\s+§(\d+)(?:,\s+invariant\s+(\d+))?/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIPPED_FOLDERS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (/\.(ts|md)$/.test(entry.name)) files.push(full);
  }
  return files;
}

/** The numbered sections of design.md, and the invariants numbered in its §5. */
function outline(design: string): { sections: Set<number>; invariants: Set<number> } {
  const sections = new Set([...design.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1])));
  const invariantsSection = /^## 5\. [^\n]*\n([\s\S]*?)(?=^## )/m.exec(design)?.[1] ?? '';
  const invariants = new Set(
    [...invariantsSection.matchAll(/^(\d+)\. \*\*/gm)].map((match) => Number(match[1])),
  );
  return { sections, invariants };
}

/** Every citation that points nowhere, as `file:line: text`. */
function danglingCitations(relFile: string, text: string, design: ReturnType<typeof outline>): string[] {
  const problems: string[] = [];
  // Comments wrap lines: join each line with the next so a citation split in two is still read.
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (/\bDESIGN §/.test(line))
      problems.push(`${relFile}:${index + 1}: cites DESIGN §, which is not in the repository`);
    const joined = `${line} ${(lines[index + 1] ?? '').replace(/^\s*(\/\/|\*)?\s*/, '')}`;
    for (const match of joined.matchAll(CITATION)) {
      if (match.index >= line.length) continue;
      const section = Number(match[1]);
      if (!design.sections.has(section)) problems.push(`${relFile}:${index + 1}: no section §${section}`);
      if (match[2] !== undefined && (section !== 5 || !design.invariants.has(Number(match[2])))) {
        problems.push(`${relFile}:${index + 1}: no invariant ${match[2]} in §${section}`);
      }
    }
  });
  return problems;
}

test('every citation of docs/design.md names a section and an invariant that exist', async () => {
  const design = outline(await readFile(path.join(REPO_ROOT, 'docs', 'design.md'), 'utf8'));
  assert.deepEqual([...design.invariants], [1, 2, 3, 4, 5, 6]);
  const problems: string[] = [];
  let citations = 0;
  for (const file of await sourceFiles(REPO_ROOT)) {
    // This file quotes the old citations on purpose.
    if (file === import.meta.filename) continue;
    const text = await readFile(file, 'utf8');
    citations += [...text.matchAll(CITATION)].length;
    problems.push(...danglingCitations(path.relative(REPO_ROOT, file), text, design));
  }
  assert.ok(citations >= 15, `found only ${citations} citations: the scan itself is broken`);
  assert.deepEqual(problems, []);
});

test('a dangling citation is caught', () => {
  const design = { sections: new Set([1, 5]), invariants: new Set([1, 2]) };
  assert.deepEqual(danglingCitations('x.ts', '// see docs/design.md §5, invariant 2', design), []);
  assert.deepEqual(danglingCitations('x.ts', '// docs/design.md §7', design), ['x.ts:1: no section §7']);
  assert.deepEqual(danglingCitations('x.ts', ' * (docs/design.md\n * §5, invariant 9)', design), [
    'x.ts:1: no invariant 9 in §5',
  ]);
  assert.equal(danglingCitations('x.ts', '// DESIGN §2', design).length, 1);
});
