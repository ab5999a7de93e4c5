import { access, cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FORMAT_REPO = join(
  import.meta.dirname,
  '../../fixtures/conda-test-data/conda/tests/data/conda_format_repo',
);

/** What the hostile record's license says: markup that must reach the page as text. */
export const HOSTILE_LICENSE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

/**
 * conda's conda_format_repo (zlib for linux-64, osx-64, win-64) with every record present as a
 * file, and the linux-64 zlib .tar.bz2 record's license replaced by markup: upstream records
 * are hostile input. Returns the folder (the caller removes it).
 */
export async function writeHostileChannel(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'condasync-browser-upstream-'));
  await cp(FORMAT_REPO, root, { recursive: true });
  let hostile = 0;
  for (const subdir of ['linux-64', 'osx-64', 'win-64', 'win-32', 'noarch']) {
    const path = join(root, subdir, 'repodata.json');
    const repodata = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    for (const section of ['packages', 'packages.conda']) {
      const records = (repodata[section] ?? {}) as Record<string, { license?: string }>;
      // The fixture lists files it does not ship; keep only what can be mirrored whole.
      for (const filename of Object.keys(records)) {
        const present = await access(join(root, subdir, filename)).then(
          () => true,
          () => false,
        );
        if (!present) delete records[filename];
      }
      const zlib = records['zlib-1.2.11-h7b6447c_3.tar.bz2'];
      if (zlib !== undefined) {
        zlib.license = HOSTILE_LICENSE;
        hostile++;
      }
    }
    await writeFile(path, JSON.stringify(repodata));
  }
  if (hostile !== 1) throw new Error('fixture changed: no zlib-1.2.11-h7b6447c_3.tar.bz2 record to alter');
  return root;
}
