import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseInstallerIndex, parseListedSize, sizeAgrees } from '../../src/installers/index-page.ts';

const fixtures = join(import.meta.dirname, '../fixtures/installers');
const page = (dir: string) => readFile(join(fixtures, dir, 'index.html'), 'utf8');

describe('parseInstallerIndex', () => {
  test("archive/: reads each row's link, rounded size, date, md5 and sha256; skips the row without a sha256, saying why", async () => {
    const index = parseInstallerIndex(await page('archive'));
    assert.deepEqual(
      index.entries.map((e) => [e.filename, e.size.text, e.size.exact, e.lastModified]),
      [
        ['Anaconda3-2024.10-1-Linux-x86_64.sh', '2.7K', false, '2024-10-23 10:38:13'],
        ['Anaconda3-2024.10-1-Windows-x86_64.exe', '2.0K', false, '2024-10-23 10:39:02'],
      ],
    );
    assert.equal(
      index.entries[0]!.sha256,
      '8944715aa00a5f6db4229328d09588e478b658bf8d89a0ab1f8c5e465d3a1bac',
    );
    assert.equal(index.entries[0]!.md5, '4a0e3b82be913ead8e9ffc93a82df68d');
    assert.deepEqual(index.skipped, [
      {
        filename: 'Anaconda3-2.5.0-Linux-x86_64.sh',
        reason: 'the page lists no sha256 for it, so it cannot be verified',
      },
    ]);
  });

  test('miniconda/: exact byte sizes are exact', async () => {
    const index = parseInstallerIndex(await page('miniconda'));
    assert.deepEqual(
      index.entries.map((e) => [e.filename, e.size.bytes, e.size.exact]),
      [
        ['Miniconda3-latest-Linux-x86_64.sh', 2250, true],
        ['Miniconda3-py312_24.9.2-0-Linux-x86_64.sh', 2658, true],
      ],
    );
    assert.deepEqual(index.skipped, []);
  });

  test('without a header row, cells are recognised by their shape; hostile links are skipped, never followed', () => {
    const sha = 'ab'.repeat(32);
    const html = `<table>
      <tr><td><a href='a%2Bb.sh'>a+b.sh</a></td><td>74.3M</td><td>${sha.toUpperCase()}</td></tr>
      <tr><td><a href="../../etc/passwd">x</a></td><td>1</td><td>${sha}</td></tr>
      <tr><td><a href="sub/x.sh">x</a></td><td>1</td><td>${sha}</td></tr>
      <tr><td><a href="https://elsewhere.example/x.sh">x</a></td><td>1</td><td>${sha}</td></tr>
      <tr><td><a href=".hidden">x</a></td><td>1</td><td>${sha}</td></tr>
      <tr><td><a href="odd.sh">odd</a></td><td>huge</td><td>${sha}</td></tr>
      <tr><td><a href="a%2Bb.sh">again</a></td><td>1</td><td>${sha}</td></tr>
      <tr><td>no link</td><td>1</td><td>${sha}</td></tr>
    </table>`;
    const index = parseInstallerIndex(html);
    assert.deepEqual(
      index.entries.map((e) => [e.filename, e.size.text, e.sha256]),
      [['a+b.sh', '74.3M', sha]],
    );
    assert.deepEqual(
      index.skipped.map((s) => s.filename),
      ['sub/x.sh', 'https://elsewhere.example/x.sh', '.hidden', 'odd.sh', 'a+b.sh'],
    );
    assert.match(index.skipped[3]!.reason, /"huge" is not a size/);
    assert.match(index.skipped[4]!.reason, /listed twice/);
  });

  test('a page without an installer table has no rows', () => {
    assert.deepEqual(parseInstallerIndex('<html><body>Service Unavailable</body></html>'), {
      entries: [],
      skipped: [],
    });
  });
});

describe('listed sizes', () => {
  test('"1.0G", "74.3M", "512K" are rounded; plain digits are exact; anything else is no size', () => {
    assert.deepEqual(parseListedSize('1.0G'), { bytes: 1024 ** 3, exact: false, text: '1.0G' });
    assert.equal(parseListedSize('74.3M')?.bytes, Math.round(74.3 * 1024 ** 2));
    assert.equal(parseListedSize('512 KB')?.exact, false);
    assert.deepEqual(parseListedSize(' 2250 '), { bytes: 2250, exact: true, text: '2250' });
    assert.equal(parseListedSize('12 parsecs'), null);
    assert.equal(parseListedSize(''), null);
  });

  test('a rounded size agrees with bytes within one unit of its last digit; an exact one only with itself', () => {
    const rounded = parseListedSize('74.3M')!;
    assert.ok(sizeAgrees(rounded, Math.round(74.3 * 1024 ** 2)));
    assert.ok(sizeAgrees(rounded, 74.34 * 1024 ** 2));
    assert.ok(sizeAgrees(rounded, 74_300_000), '1000-based pages agree too');
    assert.ok(!sizeAgrees(rounded, 80 * 1024 ** 2));
    assert.ok(!sizeAgrees(rounded, 1000));
    const exact = parseListedSize('2250')!;
    assert.ok(sizeAgrees(exact, 2250));
    assert.ok(!sizeAgrees(exact, 2251));
  });
});
