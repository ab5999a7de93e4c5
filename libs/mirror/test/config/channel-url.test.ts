import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkUpstreamUrl, redactUrl, resolveSyncConfig } from '../../src/config/index.ts';
import { configProblems, problemAt } from './config-test-helpers.ts';

describe('redactUrl', () => {
  test('replaces the token in both token URL forms', () => {
    assert.equal(
      redactUrl('https://conda.anaconda.org/t/abc-123/conda-forge'),
      'https://conda.anaconda.org/t/<redacted>/conda-forge',
    );
    assert.equal(
      redactUrl('https://repo.example.com/conda/t/xyz/main/'),
      'https://repo.example.com/conda/t/<redacted>/main/',
    );
    assert.equal(redactUrl('https://conda.anaconda.org/t/abc'), 'https://conda.anaconda.org/t/<redacted>');
  });

  test('leaves URLs without a token alone', () => {
    for (const url of ['https://conda.anaconda.org/conda-forge', 'file:///opt/t', 'https://x.org/tt/abc/']) {
      assert.equal(redactUrl(url), url);
    }
  });
});

describe('checkUpstreamUrl', () => {
  const accepted = (input: string): string => {
    const checked = checkUpstreamUrl(input);
    assert.ok(checked.ok, checked.ok ? '' : checked.message);
    return checked.url;
  };
  const refused = (input: string): string => {
    const checked = checkUpstreamUrl(input);
    assert.ok(!checked.ok, `expected ${input} to be refused`);
    return checked.message;
  };

  test('accepts https, http and file URLs and drops trailing slashes', () => {
    assert.equal(
      accepted('https://conda.anaconda.org/conda-forge/'),
      'https://conda.anaconda.org/conda-forge',
    );
    assert.equal(accepted('http://127.0.0.1:8080/conda/main'), 'http://127.0.0.1:8080/conda/main');
    assert.equal(accepted('file:///opt/mirror/export/pkgs/'), 'file:///opt/mirror/export/pkgs');
    assert.equal(accepted('file://localhost/opt/mirror'), 'file:///opt/mirror');
    assert.equal(accepted('https://conda.anaconda.org/t/Ab-9/x'), 'https://conda.anaconda.org/t/Ab-9/x');
  });

  test('refuses other schemes, credentials, queries, fragments and dot segments', () => {
    assert.match(refused('ftp://example.com/pkgs'), /uses ftp; expected an https, http or file URL$/);
    assert.match(refused('s3://bucket/channel'), /uses s3/);
    const credentials = refused('https://alice:hunter2@example.com/channel');
    assert.match(credentials, /carries credentials before the host/);
    assert.ok(!credentials.includes('hunter2') && !credentials.includes('alice'));
    assert.match(refused('https://example.com/channel?token=abc'), /has a query or fragment/);
    assert.match(refused('https://example.com/channel#main'), /has a query or fragment/);
    assert.match(refused('https://example.com/a/../b'), /'\.' or '\.\.' path segment/);
    assert.match(refused('https://example.com/a/%2E%2E/b'), /'\.' or '\.\.' path segment/);
    assert.match(
      refused('file://server/share/pkgs'),
      /names host 'server'; a file URL is file:\/\/\/absolute\/path$/,
    );
  });

  test('token segments must hold a token of letters, digits and dashes, never echoed', () => {
    const bad = refused('https://conda.anaconda.org/t/sec_ret!/channel');
    assert.match(bad, /has a token that is not letters, digits and '-' only$/);
    assert.ok(!bad.includes('sec_ret'));
    assert.match(refused('https://conda.anaconda.org/t/'), /has '\/t\/' without a token after it$/);
  });
});

describe('channels entries', () => {
  test('a bare path or an unexpanded variable gets a hint', () => {
    const problems = configProblems(() =>
      resolveSyncConfig({ channels: ['/opt/mirror/pkgs', 'file://$MIRRORS_ARCHIVE/r/pkgs', 'not a name'] }),
    );
    assert.match(
      problemAt(problems, 'channels[0]'),
      /is a path, not a channel; write a local folder as file:\/\/\//,
    );
    assert.match(problemAt(problems, 'channels[1]'), /environment variables are not expanded/);
    assert.match(problemAt(problems, 'channels[2]'), /is neither a URL .* nor a channel name/);
  });

  test('a bad remote_url is reported at remote_url', () => {
    const problems = configProblems(() => resolveSyncConfig({ remote_url: 'repo.anaconda.com' }));
    assert.match(problemAt(problems, 'remote_url'), /is not a valid URL/);
  });
});
