import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import {
  CodecError,
  CodecErrorCode,
  decodeMsgpack,
  encodeMsgpack,
  type MsgpackLimits,
} from '../../src/index.ts';

function bytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}

function assertRefused(input: Uint8Array, code: string, message: RegExp, limits?: MsgpackLimits): void {
  assert.throws(
    () => decodeMsgpack(input, limits),
    (error: unknown) => {
      assert.ok(error instanceof CodecError, `expected a CodecError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

const SAMPLE = {
  array: [0, 127, 128, 65536, 2 ** 32, -1, -33, -129, -32769, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 0.5],
  bin: Buffer.from('00ff10', 'hex'),
  flags: [true, false, null],
  nested: { deeper: { deepest: ['x'] } },
  text: 'ascii, é, €, 😀',
};

describe('decodeMsgpack', () => {
  test('map keys come from the bytes, whatever keys were decoded before or share a cache slot', () => {
    const many = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i.toString(36)}`, i]));
    assert.deepEqual(decodeMsgpack(encodeMsgpack(many), { maxContainerLength: 20_000 }), many);
    assert.deepEqual(decodeMsgpack(encodeMsgpack(many), { maxContainerLength: 20_000 }), many);
    const reused = Buffer.from(encodeMsgpack({ abc: 1, é: 2 }));
    assert.deepEqual(decodeMsgpack(reused), { abc: 1, é: 2 });
    reused.write('xyz', 2, 'latin1');
    assert.deepEqual(decodeMsgpack(reused), { xyz: 1, é: 2 });
  });

  test('decodes what the encoder writes', () => {
    assert.deepEqual(decodeMsgpack(encodeMsgpack(SAMPLE)), SAMPLE);
  });

  test('bin decodes to a Buffer that does not share memory with the input', () => {
    const input = encodeMsgpack(Buffer.from('abcd', 'hex'));
    const output = decodeMsgpack(input) as Buffer;
    input.fill(0);
    assert.equal(output.toString('hex'), 'abcd');
  });

  test('reads float32 and every int width', () => {
    assert.equal(decodeMsgpack(bytes('ca3fc00000')), 1.5);
    assert.equal(decodeMsgpack(bytes('d0ff')), -1);
    assert.equal(decodeMsgpack(bytes('d1ff00')), -256);
    assert.equal(decodeMsgpack(bytes('d2ffff0000')), -65536);
    assert.equal(decodeMsgpack(bytes('d3ffffffffffffffff')), -1);
    assert.equal(decodeMsgpack(bytes('cf0000000100000000')), 2 ** 32);
  });

  test('"__proto__" is an own key and pollutes nothing', () => {
    // {"__proto__": {"polluted": true}}
    const value = decodeMsgpack(bytes('81a95f5f70726f746f5f5f81a8706f6c6c75746564c3')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((value as { polluted?: unknown }).polluted, undefined);
  });

  test('every truncation of a valid document is MALFORMED_JSON, never a crash', () => {
    const whole = encodeMsgpack(SAMPLE);
    for (let length = 0; length < whole.length; length++) {
      assert.throws(
        () => decodeMsgpack(whole.subarray(0, length)),
        (error: unknown) => error instanceof CodecError && error.code === CodecErrorCode.MalformedData,
        `prefix of ${length} bytes`,
      );
    }
  });

  test('a huge declared length is refused before anything is allocated', () => {
    assertRefused(bytes('db ffffffff 61'), CodecErrorCode.LimitExceeded, /str\/bin of 4294967295 bytes/);
    assertRefused(bytes('db 00000010 61'), CodecErrorCode.MalformedData, /needs 16 bytes but only 1 remain/);
    assertRefused(bytes('c6 00100000 00'), CodecErrorCode.MalformedData, /a bin needs 1048576 bytes/);
    assertRefused(bytes('dd 000f0000 c0'), CodecErrorCode.MalformedData, /array declares 983040 entries/);
    assertRefused(bytes('df 00001000 a161c0'), CodecErrorCode.MalformedData, /map declares 4096 entries/);
    assertRefused(
      bytes('dd ffffffff c0'),
      CodecErrorCode.LimitExceeded,
      /array of 4294967295 entries exceeds/,
    );
  });

  test('limits are configurable', () => {
    assertRefused(
      encodeMsgpack('abcdef'),
      CodecErrorCode.LimitExceeded,
      /str\/bin of 6 bytes exceeds the limit of 5/,
      {
        maxStringBytes: 5,
      },
    );
    assertRefused(
      encodeMsgpack([1, 2, 3]),
      CodecErrorCode.LimitExceeded,
      /array of 3 entries exceeds the limit of 2/,
      {
        maxContainerLength: 2,
      },
    );
    assert.deepEqual(decodeMsgpack(encodeMsgpack([1, 2]), { maxContainerLength: 2 }), [1, 2]);
  });

  test('deep nesting is refused at maxDepth, without exhausting the stack', () => {
    const nested = (depth: number) => Buffer.concat([Buffer.alloc(depth, 0x91), bytes('c0')]);
    assert.equal((decodeMsgpack(nested(64)) as unknown[]).length, 1);
    assertRefused(nested(65), CodecErrorCode.LimitExceeded, /nesting deeper than 64 levels/);
    assertRefused(nested(1_000_000), CodecErrorCode.LimitExceeded, /nesting deeper than 64 levels/);
    assertRefused(nested(4), CodecErrorCode.LimitExceeded, /deeper than 3/, { maxDepth: 3 });
    // Maps count too: {"a": {"a": {"a": nil}}}
    assertRefused(bytes('81a16181a16181a161c0'), CodecErrorCode.LimitExceeded, /deeper than 2/, {
      maxDepth: 2,
    });
  });

  test('refuses what shards never contain', () => {
    assertRefused(bytes('c1'), CodecErrorCode.MalformedData, /unsupported type byte 0xc1/);
    assertRefused(bytes('d40100'), CodecErrorCode.MalformedData, /unsupported type byte 0xd4/);
    assertRefused(bytes('c70100ff'), CodecErrorCode.MalformedData, /unsupported type byte 0xc7/);
    assertRefused(bytes('8101c0'), CodecErrorCode.MalformedData, /map key is a number, expected a str/);
    assertRefused(bytes('82a161c0a161c3'), CodecErrorCode.MalformedData, /byte 4: duplicate map key "a"/);
    assertRefused(bytes('a2c328'), CodecErrorCode.MalformedData, /str is not valid UTF-8/);
    assertRefused(bytes('c0c0'), CodecErrorCode.MalformedData, /byte 1: expected the end of the data/);
    assertRefused(bytes('cf0020000000000000'), CodecErrorCode.LimitExceeded, /9007199254740992 is beyond/);
    assertRefused(bytes('d3ffdfffffffffffff'), CodecErrorCode.LimitExceeded, /-9007199254740993 is beyond/);
    assertRefused(bytes(''), CodecErrorCode.MalformedData, /byte 0: a value needs 1 bytes but only 0 remain/);
  });
});
