import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MirrorError } from '@condasync/mirror';
import { StorageError } from '@condasync/storage';
import { API_ERROR_STATUS, ApiError, toHttpError } from '../src/errors.ts';

describe('toHttpError', () => {
  it('maps every ApiError code to its status and keeps details and headers', () => {
    const error = new ApiError('UNAUTHORIZED', 'no token', { headers: { 'www-authenticate': 'Bearer' } });
    const answer = toHttpError(error, 'req-1');
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: { code: 'UNAUTHORIZED', message: 'no token' } });
    assert.deepEqual(answer.headers, { 'www-authenticate': 'Bearer' });
    assert.equal(API_ERROR_STATUS.UPSTREAM_NOT_ALLOWED, 400);
    assert.equal(API_ERROR_STATUS.CONFLICT, 409);
    assert.equal(API_ERROR_STATUS.RANGE_NOT_SATISFIABLE, 416);
  });

  it('maps a MirrorError CONFIG_INVALID to 400 with every problem', () => {
    const details = [
      { path: 'platforms[0]', message: 'unknown subdir' },
      { path: 'zstd_level', message: 'too big' },
    ];
    const answer = toHttpError(
      new MirrorError('CONFIG_INVALID', 'invalid sync config', { details }),
      'req-1',
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.error.details, details);
  });

  it('maps storage faults to 503 and invalid keys to 404, without leaking the message', () => {
    const backend = toHttpError(
      new StorageError('BACKEND', 'get of key "a" failed on s3://secret-bucket at http://10.0.0.5:9000'),
      'req-7',
    );
    assert.equal(backend.status, 503);
    assert.equal(backend.serverFault, true);
    assert.ok(!JSON.stringify(backend.body).includes('secret-bucket'));
    assert.match(backend.body.error.message, /req-7/);
    assert.equal(toHttpError(new StorageError('INVALID_KEY', 'bad key'), 'r').status, 404);
  });

  it('answers 500 INTERNAL with the request id and nothing else for unknown errors', () => {
    const answer = toHttpError(new Error('ECONNREFUSED 10.0.0.5:6379 at /srv/app/secret.ts'), 'req-9');
    assert.equal(answer.status, 500);
    assert.equal(answer.serverFault, true);
    assert.equal(answer.body.error.code, 'INTERNAL');
    assert.ok(!answer.body.error.message.includes('10.0.0.5'));
    assert.match(answer.body.error.message, /req-9/);
  });

  it('maps Fastify client errors by code and status', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    assert.equal(toHttpError(tooLarge, 'r').body.error.code, 'PAYLOAD_TOO_LARGE');
    const validation = Object.assign(new Error('querystring/limit must be <= 100'), {
      validation: [],
      statusCode: 400,
    });
    assert.deepEqual(toHttpError(validation, 'r').body.error, {
      code: 'INVALID_REQUEST',
      message: 'querystring/limit must be <= 100',
    });
  });
});
