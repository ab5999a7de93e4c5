import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MirrorError } from '../../src/errors.ts';
import { UpstreamHttp } from '../../src/upstream/http-client.ts';
import { isNonPublicAddress } from '../../src/upstream/public-address.ts';

describe('isNonPublicAddress', () => {
  it('refuses loopback, private, link-local and reserved addresses of both families', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.10',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fd12:3456::1',
      'fc00::1',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '64:ff9b::10.0.0.1',
      'not-an-address',
    ]) {
      assert.equal(isNonPublicAddress(address), true, address);
    }
  });

  it('allows public addresses', () => {
    for (const address of [
      '1.1.1.1',
      '8.8.8.8',
      '172.32.0.1',
      '2606:4700::1111',
      '::ffff:1.1.1.1',
      '64:ff9b::101:101',
    ]) {
      assert.equal(isNonPublicAddress(address), false, address);
    }
  });
});

describe('UpstreamHttp with publicAddressesOnly (workers without CONDASYNC_UPSTREAM_ALLOW)', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((_, response) => response.end('internal'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (http: UpstreamHttp, url: string) => {
    const response = await http.request(url, { deadlineMs: 5000, minBytesPerSecond: 0 });
    await response.dispose();
    return response.status;
  };

  it('refuses an address literal and a name that resolves to loopback, permanently', async () => {
    const http = new UpstreamHttp({ publicAddressesOnly: true });
    try {
      for (const [url, message] of [
        [`http://127.0.0.1:${port}/noarch/repodata.json`, /names a loopback, private or link-local address/],
        [`http://[::1]:${port}/noarch/repodata.json`, /names a loopback, private or link-local address/],
        [
          `http://localhost:${port}/noarch/repodata.json`,
          /localhost resolves only to loopback, private or link-local/,
        ],
      ] as const) {
        const error = await http.request(url, { deadlineMs: 5000, minBytesPerSecond: 0 }).then(
          () => assert.fail(`${url} was fetched`),
          (failure: unknown) => failure,
        );
        assert.ok(error instanceof MirrorError, String(error));
        assert.match(error.message, message);
        assert.equal(error.transient, false, 'a retry cannot help');
      }
    } finally {
      await http.close();
    }
  });

  it('is off by default (the CLI and allow-listed deployments reach private mirrors)', async () => {
    const http = new UpstreamHttp();
    try {
      assert.equal(await get(http, `http://localhost:${port}/`), 200);
    } finally {
      await http.close();
    }
  });
});
