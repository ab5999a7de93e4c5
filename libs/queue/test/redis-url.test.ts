import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRedisUrl, parseRedisUrl, redactRedisUrl, redisUrlProblem } from '../src/redis-url.ts';

describe('CONDASYNC_REDIS_URL parsing', () => {
  test('a plain redis:// or rediss:// URL is handed to ioredis unchanged', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/2'), {
      kind: 'direct',
      url: 'redis://127.0.0.1:6379/2',
    });
    assert.equal(parseRedisUrl('rediss://:pw@redis.example:6380').kind, 'direct');
  });

  test('a Sentinel URL becomes sentinels + master name, with password, db and sentinel password', () => {
    const target = parseRedisUrl(
      'redis+sentinel://:s%40cret@10.0.0.1:26379,sentinel-b,[::1]:26380/mymaster?db=3&sentinelPassword=sp',
    );
    assert.ok(target.kind === 'sentinel');
    const { reconnectOnError, ...options } = target.options;
    assert.deepEqual(options, {
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      password: 's@cret',
      db: 3,
      sentinelPassword: 'sp',
    });
    assert.equal(reconnectOnError?.(new Error("READONLY You can't write against a read only replica.")), 2);
    assert.equal(reconnectOnError?.(new Error('WRONGTYPE Operation against a key')), false);
  });

  test('rediss+sentinel turns TLS on for the data nodes and the sentinels; a user name is kept', () => {
    const target = parseRedisUrl('rediss+sentinel://app:pw@h1:1,h2:2/primary');
    assert.ok(target.kind === 'sentinel');
    assert.equal(target.options.username, 'app');
    assert.equal(target.options.enableTLSForSentinelMode, true);
    assert.deepEqual(target.options.tls, {});
  });

  test('bad URLs get an error naming the problem and the syntax, never the password', () => {
    for (const [url, expected] of [
      [
        'http://u:hunter2@h:6379',
        /^'http:\/\/u:\*\*\*@h:6379\/' is not a redis:\/\/ or rediss:\/\/ URL.*redis\+sentinel:\/\//,
      ],
      [
        'not a url at all',
        /^the value is not a Redis URL: expected redis:\/\/host:6379.*redis\+sentinel:\/\//,
      ],
      ['redis+sentinel://:hunter2@h1:26379', /is not a valid Redis Sentinel URL/],
      ['redis+sentinel://:hunter2@h1:99999/m', /sentinel address 'h1:99999'/],
      ['redis+sentinel://h1,h/2:1/m', /is not a valid Redis Sentinel URL/],
      ['redis+sentinel://h1/m?db=x', /db=x .* not a database number/],
      ['redis+sentinel://h1/m?timeout=5', /unknown parameter 'timeout'.*db, sentinelPassword/],
      ['redis:///nohost', /is not a valid Redis URL/],
    ] as const) {
      const problem = redisUrlProblem(url);
      assert.match(problem ?? 'accepted', expected, url);
      assert.doesNotMatch(problem ?? '', /hunter2/);
      assert.equal(isRedisUrl(url), false);
    }
    assert.equal(redisUrlProblem('redis+sentinel://h1/m'), null);
  });

  test('redaction hides data and sentinel passwords', () => {
    assert.equal(
      redactRedisUrl('redis+sentinel://u:pw@h1:1,h2:2/m?sentinelPassword=sp&db=1'),
      'redis+sentinel://u:***@h1:1,h2:2/m?sentinelPassword=***&db=1',
    );
    assert.equal(redactRedisUrl('redis://:pw@h:6379'), 'redis://:***@h:6379');
  });
});
