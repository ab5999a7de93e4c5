import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigSeal, ConfigSealError, isSealed } from '../src/config-seal.ts';

const secret = 'a-secret-key-shared-by-api-and-workers';
const config = JSON.stringify({ channels: ['https://conda.example.com/t/tk-0123456789abcdef/private'] });

describe('ConfigSeal', () => {
  test('what it seals holds no trace of the token, and opens to the same text', () => {
    const seal = new ConfigSeal(secret);
    const sealed = seal.seal(config);
    assert.ok(isSealed(sealed));
    assert.ok(!sealed.includes('tk-0123456789abcdef'));
    assert.ok(!Buffer.from(sealed.slice(10), 'base64').toString('latin1').includes('tk-0123456789abcdef'));
    assert.equal(seal.open(sealed), config);
    assert.notEqual(seal.seal(config), sealed, 'a fresh IV each time');
  });

  test('refuses another key, altered bytes, truncation and clear text', () => {
    const sealed = new ConfigSeal(secret).seal(config);
    assert.throws(
      () => new ConfigSeal(`${secret}-other`).open(sealed),
      /does not open with this CONDASYNC_SECRET_KEY/,
    );
    const bytes = Buffer.from(sealed.slice(10), 'base64');
    bytes[bytes.length - 1]! ^= 1;
    assert.throws(
      () => new ConfigSeal(secret).open(`sealed:v1:${bytes.toString('base64')}`),
      ConfigSealError,
    );
    assert.throws(() => new ConfigSeal(secret).open('sealed:v1:AAAA'), /truncated/);
    assert.throws(() => new ConfigSeal(secret).open(config), /not sealed/);
  });

  test('refuses a short key', () => {
    assert.throws(() => new ConfigSeal('short'), /5 characters long, at least 32/);
  });
});
