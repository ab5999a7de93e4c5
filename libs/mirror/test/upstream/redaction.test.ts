import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactUrl } from '../../src/config/index.ts';

const SECRET = 'Sup3r-s3cret-t0ken';

describe('redactUrl', () => {
  test('replaces a token in any segment or query value that carries one', () => {
    const cases: Array<[string, string]> = [
      [`https://h.org/t/${SECRET}/conda-forge`, 'https://h.org/t/<redacted>/conda-forge'],
      [`https://h.org/T/${SECRET}/conda-forge`, 'https://h.org/T/<redacted>/conda-forge'],
      [`/conda/t/${SECRET}`, '/conda/t/<redacted>'],
      [`https://h.org/token/${SECRET}/main`, 'https://h.org/token/<redacted>/main'],
      [
        `https://h.org/c/noarch/repodata.json?access_token=${SECRET}`,
        'https://h.org/c/noarch/repodata.json?access_token=<redacted>',
      ],
      [`/conda/c/x.json?a=1&token=${SECRET}&b=2`, '/conda/c/x.json?a=1&token=<redacted>&b=2'],
      [`/x?API_KEY=${SECRET}`, '/x?API_KEY=<redacted>'],
      [
        `/x?X-Amz-Signature=${SECRET}&X-Amz-Credential=${SECRET}`,
        '/x?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>',
      ],
      [`/x?password=${SECRET}#frag`, '/x?password=<redacted>#frag'],
      [`https://user:${SECRET}@h.org/c`, 'https://<redacted>@h.org/c'],
      [`https://${SECRET}@h.org/c`, 'https://<redacted>@h.org/c'],
    ];
    for (const [url, expected] of cases) {
      assert.equal(redactUrl(url), expected, url);
      assert.ok(!redactUrl(url).includes(SECRET), url);
    }
  });

  test('leaves URLs without a credential alone', () => {
    for (const url of [
      'https://conda.anaconda.org/conda-forge/noarch/repodata.json',
      'file:///opt/t',
      'https://x.org/tt/abc/',
      '/conda/c/linux-64/x.json?page=2&sort=name',
      'https://h.org/c/vendored-tool-2.0.1+local.7-h0_0.conda',
    ]) {
      assert.equal(redactUrl(url), url);
    }
  });
});
