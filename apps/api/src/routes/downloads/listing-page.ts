import type { InstallerListing } from '@condasync/mirror';
import { html } from '../web/html.ts';

/** "74.3M", "1.0G": how upstream's index pages print sizes (1024-based, one decimal). */
export function roundedSize(bytes: number): string {
  const units = ['K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit < 0 ? String(bytes) : `${value.toFixed(1)}${units[unit]}`;
}

/**
 * The HTML listing of a mirrored installer folder, shaped like upstream's (a table of Filename,
 * Size, Last Modified, SHA256), so a mirrored `/downloads/miniconda/` reads like the original page
 * and another mirror can mirror this one with the same parser. Every value is escaped.
 */
export function renderListingPage(listing: InstallerListing): string {
  const rows = listing.files.map(
    (file) => html`  <tr>
    <td><a href="${encodeURIComponent(file.filename)}">${file.filename}</a></td>
    <td class="s" title="${file.size} bytes">${roundedSize(file.size)}</td>
    <td>${file.lastModified ?? ''}</td>
    <td>${file.sha256}</td>
  </tr>
`,
  );
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Index of /downloads/${listing.dir}/</title>
<style>body{font-family:sans-serif}td,th{padding:2px 12px;text-align:left}td.s{text-align:right}td:last-child{font-family:monospace}</style>
</head>
<body>
<h1>Index of /downloads/${listing.dir}/</h1>
<table>
  <tr>
    <th>Filename</th>
    <th>Size</th>
    <th>Last Modified</th>
    <th>SHA256</th>
  </tr>
${rows}</table>
</body>
</html>
`.text;
}
