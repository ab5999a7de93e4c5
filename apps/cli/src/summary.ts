import type { SyncReport } from '@condasync/mirror';
import { formatBytes } from './format.ts';

/** The end-of-run text a person reads on stdout. */
export function renderSummary(report: SyncReport): string {
  const lines: string[] = [];
  if (report.dryRun) {
    lines.push('Dry run: nothing was downloaded, written or deleted.');
    const adds = report.additions ?? [];
    const removes = report.removals ?? [];
    lines.push(`Would add ${adds.length} package(s), ${formatBytes(sum(adds))}:`);
    for (const a of adds) lines.push(`  + ${a.subdir}/${a.filename} (${formatBytes(a.size)})`);
    lines.push(
      `Would remove ${removes.length} package(s), ${formatBytes(sum(removes))} (after the grace period):`,
    );
    for (const r of removes) lines.push(`  - ${r.subdir}/${r.filename} (${formatBytes(r.size)})`);
  } else {
    lines.push(`Sync ${report.status} in ${report.seconds.toFixed(1)} s.`);
    const header = [
      'subdir',
      'selected',
      'present',
      'downloaded',
      'failed',
      'published',
      'removed',
      'pending-delete',
    ];
    const rows = report.subdirs.map((s) => [
      s.subdir,
      String(s.selected),
      String(s.present),
      `${s.downloaded} (${formatBytes(s.downloadedBytes)})`,
      String(s.failed),
      `${s.published}${s.repodataChanged ? '' : ' (unchanged)'}`,
      String(s.deleted),
      String(s.pendingDeletion),
    ]);
    lines.push(...table([header, ...rows]));
  }
  const failedNow = report.failures.filter((f) => f.notRetried === undefined);
  const notRetried = report.failures.filter((f) => f.notRetried !== undefined);
  if (failedNow.length > 0) {
    lines.push(`${failedNow.length} package(s) failed and were left out of the published repodata:`);
    for (const f of failedNow) lines.push(failureLine(f));
  }
  if (notRetried.length > 0) {
    lines.push(
      `${notRetried.length} package(s) not retried: they failed for good before and upstream lists the same record (sync --reset retries them):`,
    );
    for (const f of notRetried) lines.push(`${failureLine(f)} (since ${f.notRetried!.since})`);
  }
  lines.push(...installerLines(report));
  if (report.rejected.length > 0) {
    lines.push(`${report.rejected.length} upstream record(s) were refused as invalid:`);
    for (const r of report.rejected.slice(0, 20)) lines.push(`  ${r.subdir} (${r.channel}): ${r.reason}`);
  }
  if (report.collisions.length > 0) {
    lines.push(
      `${report.collisions.length} filename collision(s) between channels (the first channel wins):`,
    );
    for (const c of report.collisions.slice(0, 20))
      lines.push(`  ${c.subdir}/${c.filename}: kept ${c.kept}, ignored ${c.dropped}`);
  }
  if (report.unresolved.length > 0) {
    lines.push(`${report.unresolved.length} dependency spec(s) have no matching package in the mirror:`);
    for (const u of report.unresolved.slice(0, 20)) lines.push(`  ${u.subdir}/${u.filename}: ${u.spec}`);
  }
  return `${lines.join('\n')}\n`;
}

function failureLine(f: SyncReport['failures'][number]): string {
  return f.reason.includes(f.filename) ? `  ${f.reason}` : `  ${f.subdir}/${f.filename}: ${f.reason}`;
}

/** One line per installer folder (fetch_installers), then what was skipped or failed and why. */
function installerLines(report: SyncReport): string[] {
  const lines: string[] = [];
  for (const dir of report.installers?.dirs ?? []) {
    const where = `downloads/${dir.dir}/`;
    if (dir.error !== undefined) {
      lines.push(`Installers ${where}: not mirrored: ${dir.error.reason}`);
      continue;
    }
    if (report.dryRun) {
      const adds = dir.toDownload ?? [];
      lines.push(`Installers ${where}: would fetch ${adds.length}, ${formatBytes(sum(adds))}:`);
      for (const a of adds) lines.push(`  + ${where}${a.filename} (${formatBytes(a.size)})`);
      for (const r of dir.toRemove)
        lines.push(`  - ${where}${r.filename} (${formatBytes(r.size)}, after the grace period)`);
    } else {
      lines.push(
        `Installers ${where}: ${dir.listed} listed upstream, ${dir.present} present, ` +
          `${dir.downloaded} downloaded (${formatBytes(dir.downloadedBytes)}), ${dir.failed.length} failed, ` +
          `${dir.deleted} removed, ${dir.pendingDeletion} pending delete`,
      );
    }
    for (const f of dir.failed) lines.push(`  failed: ${f.reason}`);
    for (const s of dir.skipped) lines.push(`  skipped ${s.filename}: ${s.reason}`);
  }
  return lines;
}

function sum(items: ReadonlyArray<{ size: number }>): number {
  return items.reduce((n, i) => n + i.size, 0);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
}
