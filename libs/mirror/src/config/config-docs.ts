import type { ConfigKeySpec } from './key-spec.ts';
import { keySpec, SYNC_CONFIG_KEYS } from './keys.ts';

/*
 * The key reference of docs/configuration.md, made from the key table (keys.ts) so the two cannot
 * drift: `node scripts/write-config-docs.ts` rewrites the section, and a test fails while the file
 * and the table disagree.
 */

export const KEY_REFERENCE_START =
  '<!-- Key tables: generated from libs/mirror/src/config/keys.ts by `node scripts/write-config-docs.ts`; edit the table there, not here. -->';
export const KEY_REFERENCE_END = '<!-- End of the generated key tables. -->';

/** The Markdown of both key tables, between their markers. */
export function renderKeyReference(): string {
  const row = (key: string, spec: ConfigKeySpec<unknown>): string[] => [
    `\`${key}\``,
    spec.typeText,
    defaultCell(spec),
    meaningCell(spec),
  ];
  const casSync = SYNC_CONFIG_KEYS.filter((key) => keySpec(key).origin === 'cas-sync');
  const additions = SYNC_CONFIG_KEYS.filter((key) => keySpec(key).origin === 'condasync');
  return [
    KEY_REFERENCE_START,
    '',
    '### cas-mirror keys',
    '',
    markdownTable(
      ['Key', 'Type', 'Default', 'Meaning', 'cas-sync compatibility'],
      casSync.map((key) => [...row(key, keySpec(key)), keySpec(key).casSync ?? '']),
    ),
    '',
    '### condasync additions',
    '',
    'These keys have no cas-sync equivalent; cas-sync would reject them.',
    '',
    markdownTable(
      ['Key', 'Type', 'Default', 'Meaning'],
      additions.map((key) => row(key, keySpec(key))),
    ),
    '',
    KEY_REFERENCE_END,
  ].join('\n');
}

/** `docs` with its generated section replaced by the current one. */
export function withKeyReference(docs: string): string {
  const start = docs.indexOf(KEY_REFERENCE_START);
  const end = docs.indexOf(KEY_REFERENCE_END);
  if (start === -1 || end < start) {
    throw new Error(
      `docs/configuration.md has lost its markers: ${KEY_REFERENCE_START} … ${KEY_REFERENCE_END}`,
    );
  }
  return docs.slice(0, start) + renderKeyReference() + docs.slice(end + KEY_REFERENCE_END.length);
}

function defaultCell(spec: ConfigKeySpec<unknown>): string {
  if (spec.derivedDefault !== undefined) return spec.derivedDefault;
  if (spec.defaultText !== undefined) return spec.defaultText;
  const value = spec.default;
  if (value === null) return 'none';
  if (Array.isArray(value)) {
    return value.length === 0 ? '`[]`' : value.map((item) => `\`${String(item)}\``).join(', ');
  }
  return `\`${String(value)}\``;
}

function meaningCell(spec: ConfigKeySpec<unknown>): string {
  if (spec.notYet === undefined) return spec.doc;
  return (
    `**Not supported yet:** condasync cannot ${spec.notYet} yet, so a config that sets this key to ` +
    `anything but its default is refused. ${spec.doc}`
  );
}

/** A table padded to aligned columns, as Prettier lays Markdown tables out. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
