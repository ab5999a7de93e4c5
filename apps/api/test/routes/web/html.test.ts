import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html } from '../../../src/routes/web/html.ts';

describe('html templates', () => {
  it('escapes every interpolated value, in text and attributes, and nests templates as markup', () => {
    const hostile = `<script>"x"</script>&'`;
    const inner = html`<b>${hostile}</b>`;
    const out = html`<p title="${hostile}">${hostile}${inner}${[hostile, inner]}${null}${undefined}${false}${0}</p>`;
    const once = '&lt;script&gt;&quot;x&quot;&lt;/script&gt;&amp;&#39;';
    assert.equal(out.text, `<p title="${once}">${once}<b>${once}</b>${once}<b>${once}</b>0</p>`);
    assert.equal(escapeHtml('a&amp;b'), 'a&amp;amp;b');
  });
});
