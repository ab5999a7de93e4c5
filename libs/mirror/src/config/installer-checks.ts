import type { ConfigProblem } from '../errors.ts';

/** The store folder of mirrored installers (docs/design.md §4); no channel of the same store may take its name. */
const DOWNLOADS_FOLDER = 'downloads';

/**
 * What `fetch_installers: true` needs beyond each key's own schema: an http(s) `remote_url` (the
 * installer folders are read from its HTML index pages), at least one folder, and, in shared
 * storage, a `dest_channel` that is not the store's `downloads/` folder.
 */
export function installerConfigProblems(
  remoteUrl: string,
  dirNames: readonly string[],
  input: Readonly<Record<string, unknown>>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!/^https?:\/\//i.test(remoteUrl)) {
    problems.push({
      path: 'remote_url',
      message:
        'fetch_installers reads the index pages of installer folders over http(s); ' +
        `remote_url is a ${remoteUrl.slice(0, remoteUrl.indexOf(':') + 1)} URL; use the folder's http(s) address`,
    });
  }
  if (dirNames.length === 0) {
    problems.push({
      path: 'dir_names',
      message:
        'is empty while fetch_installers is true: name the folders to mirror, e.g. [archive, miniconda]',
    });
  }
  const mirrorDir = input['mirror_dir'];
  if (input['dest_channel'] === DOWNLOADS_FOLDER && (mirrorDir === undefined || mirrorDir === null)) {
    problems.push({
      path: 'dest_channel',
      message:
        `'${DOWNLOADS_FOLDER}' is where fetch_installers puts installers in the storage; ` +
        'give the channel another name',
    });
  }
  return problems;
}
