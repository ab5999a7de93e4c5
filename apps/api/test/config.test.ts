import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvError } from '@condasync/env';
import { loadApiConfig, redactApiConfig } from '../src/index.ts';

const required = {
  CONDASYNC_REDIS_URL: 'redis://127.0.0.1:6379',
  CONDASYNC_STORAGE_URL: 's3://bucket/prefix',
};

function problemsOf(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadApiConfig(env);
  } catch (error) {
    assert.ok(error instanceof EnvError);
    assert.equal(error.code, 'ENV_INVALID');
    return [...error.problems];
  }
  assert.fail('expected ENV_INVALID');
}

describe('loadApiConfig', () => {
  it('applies the defaults and returns a frozen config', () => {
    const config = loadApiConfig(required);
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.repodataMaxAge, 60);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.apiTokens, []);
    assert.deepEqual(config.channelTokens, []);
    assert.deepEqual(config.upstreamAllow, []);
    assert.equal(config.queuePrefix, null);
    assert.deepEqual(config.store, { url: 's3://bucket/prefix', s3Endpoint: null, s3Region: null });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.apiTokens));
  });

  it('reads every variable', () => {
    const config = loadApiConfig({
      ...required,
      PORT: '9000',
      HOST: '127.0.0.1',
      CONDASYNC_S3_ENDPOINT: 'http://minio:9000',
      CONDASYNC_S3_REGION: 'eu-west-1',
      CONDASYNC_API_TOKENS: ' token-aaaaaaaaaaaaaaaa , token-bbbbbbbbbbbbbbbb ',
      CONDASYNC_CHANNEL_TOKENS: 'chan-aaaaaaaaaaaaaaaa',
      CONDASYNC_UPSTREAM_ALLOW: 'https://conda.anaconda.org/,file:///srv/channels',
      CONDASYNC_REPODATA_MAX_AGE: '300',
      CONDASYNC_LOG_LEVEL: 'WARN',
      CONDASYNC_QUEUE_PREFIX: 'staging-1',
    });
    assert.equal(config.port, 9000);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.store, {
      url: 's3://bucket/prefix',
      s3Endpoint: 'http://minio:9000',
      s3Region: 'eu-west-1',
    });
    assert.deepEqual(config.apiTokens, ['token-aaaaaaaaaaaaaaaa', 'token-bbbbbbbbbbbbbbbb']);
    assert.deepEqual(config.channelTokens, ['chan-aaaaaaaaaaaaaaaa']);
    assert.deepEqual(config.upstreamAllow, ['https://conda.anaconda.org/', 'file:///srv/channels']);
    assert.equal(config.repodataMaxAge, 300);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.queuePrefix, 'staging-1');
  });

  it('reports every problem at once, each under its variable, without echoing secrets', () => {
    const problems = problemsOf({
      PORT: '70000',
      CONDASYNC_STORAGE_URL: 'ftp://somewhere',
      CONDASYNC_S3_ENDPOINT: 'minio:9000',
      CONDASYNC_API_TOKENS: 'short-secret',
      CONDASYNC_CHANNEL_TOKENS: 'has_underscore_secret_value',
      CONDASYNC_UPSTREAM_ALLOW: 'conda.anaconda.org',
      CONDASYNC_REPODATA_MAX_AGE: '-1',
      CONDASYNC_LOG_LEVEL: 'loud',
      CONDASYNC_QUEUE_PREFIX: 'has:colon',
    });
    assert.deepEqual(
      problems.map((problem) => problem.variable),
      [
        'PORT',
        'CONDASYNC_REDIS_URL',
        'CONDASYNC_STORAGE_URL',
        'CONDASYNC_S3_ENDPOINT',
        'CONDASYNC_API_TOKENS',
        'CONDASYNC_CHANNEL_TOKENS',
        'CONDASYNC_UPSTREAM_ALLOW',
        'CONDASYNC_REPODATA_MAX_AGE',
        'CONDASYNC_LOG_LEVEL',
        'CONDASYNC_QUEUE_PREFIX',
      ],
    );
    const text = JSON.stringify(problems);
    assert.ok(!text.includes('short-secret') && !text.includes('has_underscore_secret_value'), text);
  });

  it('keeps secrets out of anything that serialises the config', () => {
    const config = loadApiConfig({
      CONDASYNC_REDIS_URL: 'redis://default:redis-password@redis:6379/0',
      CONDASYNC_STORAGE_URL: 'file:///data',
      CONDASYNC_API_TOKENS: 'api-secret-0123456789',
      CONDASYNC_CHANNEL_TOKENS: 'chan-secret-0123456789',
    });
    for (const text of [JSON.stringify(config), JSON.stringify(redactApiConfig(config))]) {
      assert.ok(!text.includes('redis-password'), text);
      assert.ok(!text.includes('api-secret') && !text.includes('chan-secret'), text);
      assert.match(text, /redis:\/\/default:\*\*\*@redis:6379\/0/);
    }
    assert.deepEqual(config.apiTokens, ['api-secret-0123456789'], 'the config itself keeps them');
  });
});

describe('loadApiConfig: channel serving', () => {
  it('defaults to 256 MiB metadata and package caches (8 MiB a package) revalidated every 5 s, packages through the API', () => {
    const config = loadApiConfig(required);
    assert.deepEqual(config.metadataCache, { maxBytes: 256 * 1024 * 1024, revalidateSeconds: 5 });
    assert.deepEqual(config.packageCache, { maxBytes: 256 * 1024 * 1024, maxFileBytes: 8 * 1024 * 1024 });
    assert.equal(config.packageDelivery, 'stream');
  });

  it('reads the cache size, the revalidation interval and the package delivery', () => {
    const config = loadApiConfig({
      ...required,
      CONDASYNC_METADATA_CACHE_BYTES: '0',
      CONDASYNC_METADATA_REVALIDATE_SECONDS: '30',
      CONDASYNC_PACKAGE_CACHE_BYTES: '0',
      CONDASYNC_PACKAGE_CACHE_MAX_FILE_BYTES: '1048576',
      CONDASYNC_PACKAGE_DELIVERY: 'redirect',
    });
    assert.deepEqual(config.metadataCache, { maxBytes: 0, revalidateSeconds: 30 });
    assert.deepEqual(config.packageCache, { maxBytes: 0, maxFileBytes: 1048576 });
    assert.equal(config.packageDelivery, 'redirect');
  });

  it('names each bad value', () => {
    const problems = problemsOf({
      ...required,
      CONDASYNC_METADATA_CACHE_BYTES: '-1',
      CONDASYNC_METADATA_REVALIDATE_SECONDS: 'soon',
      CONDASYNC_PACKAGE_CACHE_BYTES: 'lots',
      CONDASYNC_PACKAGE_CACHE_MAX_FILE_BYTES: '-5',
      CONDASYNC_PACKAGE_DELIVERY: 'teleport',
    });
    assert.deepEqual(
      problems.map((problem) => problem.variable),
      [
        'CONDASYNC_METADATA_CACHE_BYTES',
        'CONDASYNC_METADATA_REVALIDATE_SECONDS',
        'CONDASYNC_PACKAGE_CACHE_BYTES',
        'CONDASYNC_PACKAGE_CACHE_MAX_FILE_BYTES',
        'CONDASYNC_PACKAGE_DELIVERY',
      ],
    );
    assert.match(problems[4]!.message, /'teleport' is not one of stream, redirect/);
    const folder = problemsOf({
      ...required,
      CONDASYNC_STORAGE_URL: 'file:///srv/mirror',
      CONDASYNC_PACKAGE_DELIVERY: 'redirect',
    });
    assert.equal(folder[0]?.variable, 'CONDASYNC_PACKAGE_DELIVERY');
    assert.match(folder[0]!.message, /needs an s3:\/\/ storage URL/);
  });
});
