import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptsGzip,
  gzipEtag,
  ifNoneMatchHits,
  notModifiedSince,
  parseRange,
  resolveRange,
} from '../../../src/routes/conda/http-conditions.ts';

describe('parseRange and resolveRange', () => {
  it('parses single byte ranges and ignores what may be ignored', () => {
    assert.deepEqual(parseRange('bytes=0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=100-'), { start: 100 });
    assert.deepEqual(parseRange('bytes=-500'), { suffix: 500 });
    assert.deepEqual(parseRange('Bytes = 5 - 6'), { start: 5, end: 6 });
    for (const header of [undefined, 'bytes=5-1', 'bytes=0-1,3-4', 'items=0-1', 'bytes=-', 'bytes=a-b']) {
      assert.equal(parseRange(header), null, String(header));
    }
  });

  it('resolves against the size, clamping the end and refusing starts beyond it', () => {
    assert.deepEqual(resolveRange({ start: 0, end: 99 }, 50), { start: 0, end: 49 });
    assert.deepEqual(resolveRange({ start: 10 }, 50), { start: 10, end: 49 });
    assert.deepEqual(resolveRange({ suffix: 10 }, 50), { start: 40, end: 49 });
    assert.deepEqual(resolveRange({ suffix: 500 }, 50), { start: 0, end: 49 });
    assert.equal(resolveRange({ start: 50 }, 50), null);
    assert.equal(resolveRange({ suffix: 0 }, 50), null);
    assert.equal(resolveRange({ suffix: 5 }, 0), null);
  });
});

describe('validators', () => {
  it('compares If-None-Match weakly, with lists and *', () => {
    assert.equal(ifNoneMatchHits('"abc"', ['"abc"']), true);
    assert.equal(ifNoneMatchHits('W/"abc"', ['"abc"']), true);
    assert.equal(ifNoneMatchHits('"x", W/"abc-gzip"', ['"abc"', gzipEtag('"abc"')]), true);
    assert.equal(ifNoneMatchHits('"a,b"', ['"a,b"']), true);
    assert.equal(ifNoneMatchHits('*', ['"abc"']), true);
    assert.equal(ifNoneMatchHits('"abd"', ['"abc"']), false);
    assert.equal(ifNoneMatchHits('abc', ['"abc"']), false);
  });

  it('compares If-Modified-Since at second precision', () => {
    const modified = new Date('2026-01-02T03:04:05.678Z');
    assert.equal(notModifiedSince('Fri, 02 Jan 2026 03:04:05 GMT', modified), true);
    assert.equal(notModifiedSince('Fri, 02 Jan 2026 03:04:04 GMT', modified), false);
    assert.equal(notModifiedSince('garbage', modified), false);
  });

  it('derives a distinct weak ETag for the gzip representation', () => {
    assert.equal(gzipEtag('"abc"'), 'W/"abc-gzip"');
  });
});

describe('acceptsGzip', () => {
  it('honours q-values and *', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('gzip, deflate, br, zstd'), true);
    assert.equal(acceptsGzip('deflate, x-gzip;q=0.5'), true);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('gzip;q=0, *'), false);
    assert.equal(acceptsGzip('br'), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip(''), false);
    assert.equal(acceptsGzip(undefined), false);
  });
});
