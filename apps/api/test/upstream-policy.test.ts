import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUnderPrefix, resolveWithSystem, upstreamRefusal } from '../src/upstream-policy.ts';

describe('isUnderPrefix', () => {
  it('matches whole path segments and hosts only', () => {
    assert.equal(isUnderPrefix('https://conda.example.org/main', 'https://conda.example.org/'), true);
    assert.equal(isUnderPrefix('https://conda.example.org/main', 'https://conda.example.org'), true);
    assert.equal(isUnderPrefix('https://conda.example.org/main', 'https://conda.example.org/main'), true);
    assert.equal(
      isUnderPrefix('https://conda.example.org/main/t/x/y', 'https://conda.example.org/main/'),
      true,
    );
    assert.equal(isUnderPrefix('https://conda.example.org.evil.net/x', 'https://conda.example.org'), false);
    assert.equal(
      isUnderPrefix('https://conda.example.org/mainline', 'https://conda.example.org/main'),
      false,
    );
    assert.equal(isUnderPrefix('http://conda.example.org/main', 'https://conda.example.org/'), false);
    assert.equal(isUnderPrefix('https://CONDA.example.org/main', 'https://conda.example.org/'), false);
  });
});

describe('upstreamRefusal', () => {
  const policy = { allow: [] as string[], resolve: resolveWithSystem };

  it('accepts https to a public address', async () => {
    assert.equal(await upstreamRefusal('https://1.1.1.1/conda-forge', policy), null);
    assert.equal(await upstreamRefusal('https://[2606:4700::1111]/conda-forge', policy), null);
  });

  it('refuses file, http, loopback and localhost names, explaining how to allow them', async () => {
    for (const url of [
      'file:///srv/channel',
      'http://1.1.1.1/conda-forge',
      'https://127.0.0.1/x',
      'https://localhost/x',
      'https://localhost./x',
      'https://api.localhost/x',
      'https://[::ffff:7f00:1]/x',
    ]) {
      const refusal = await upstreamRefusal(url, policy);
      assert.ok(refusal?.includes('CONDASYNC_UPSTREAM_ALLOW'), `${url}: ${refusal}`);
    }
  });

  it('gives one answer for names that do not resolve and names that resolve to private addresses', async () => {
    const unknown = await upstreamRefusal('https://no-such-host.invalid/x', policy);
    assert.match(unknown ?? '', /does not resolve, or resolves to a loopback, private or link-local address/);
  });

  it('with an allow list, applies only the allow list', async () => {
    const allowList = { allow: ['http://127.0.0.1:8000/'], resolve: resolveWithSystem };
    assert.equal(await upstreamRefusal('http://127.0.0.1:8000/t/abc/main', allowList), null);
    const refusal = await upstreamRefusal('https://1.1.1.1/t/secret-token/main', allowList);
    assert.match(refusal ?? '', /not under any prefix listed in CONDASYNC_UPSTREAM_ALLOW/);
    assert.ok(!refusal?.includes('secret-token'));
  });
});
