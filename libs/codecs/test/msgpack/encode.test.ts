import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { CodecError, CodecErrorCode, encodeMsgpack, MsgpackEncoder } from '../../src/index.ts';

/**
 * `msgpack.packb(value)` of msgpack-python 1.x (what conda-index uses) for the value below, with
 * its keys inserted in sorted order: every int width at its boundaries, float64, UTF-8 (2-, 3- and
 * 4-byte characters), bin, bool, nil, fixstr/str8, empty map and array.
 */
const PYTHON_PACKB_HEX =
  '8da161dc0014007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf001fffffffffffff' +
  'ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd3ffe0000000000001a162cb3ff8000000' +
  '000000a163a9c3a9e282acf09f9880a164c4020001a165c3a166c2a167c0a168bf78787878787878787878787878787878' +
  '787878787878787878787878787878a169d9207979797979797979797979797979797979797979797979797979797979' +
  '797979a16a80a16b90a16ccbbfd0000000000000a16dcb7e37e43c8800759c';

const PYTHON_VALUE = {
  a: [
    0,
    127,
    128,
    255,
    256,
    65535,
    65536,
    4294967295,
    4294967296,
    Number.MAX_SAFE_INTEGER,
    -1,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -2147483648,
    -2147483649,
    -Number.MAX_SAFE_INTEGER,
  ],
  b: 1.5,
  c: 'é€😀',
  d: Buffer.from([0, 1]),
  e: true,
  f: false,
  g: null,
  h: 'x'.repeat(31),
  i: 'y'.repeat(32),
  j: {},
  k: [],
  l: -0.25,
  m: 1e300,
};

function head(value: unknown, bytes = 5): string {
  return encodeMsgpack(value).subarray(0, bytes).toString('hex');
}

describe('encodeMsgpack', () => {
  test('matches msgpack-python packb byte for byte', () => {
    assert.equal(encodeMsgpack(PYTHON_VALUE).toString('hex'), PYTHON_PACKB_HEX);
  });

  test('object keys are written sorted, whatever their insertion order', () => {
    const reversed = Object.fromEntries(Object.entries(PYTHON_VALUE).reverse());
    assert.equal(encodeMsgpack(reversed).toString('hex'), PYTHON_PACKB_HEX);
  });

  test('a Map keeps its own order', () => {
    const map = new Map<string, unknown>([
      ['info', 1],
      ['version', 2],
      ['shards', 3],
    ]);
    assert.equal(encodeMsgpack(map).toString('hex'), '83a4696e666f01a776657273696f6e02a6736861726473' + '03');
  });

  test('str, bin, array and map headers switch width at the same lengths as msgpack-python', () => {
    const strings: Array<[number, string, string]> = [
      [0, 'a0', 'c400'],
      [31, 'bf61616161', 'c41f616161'],
      [32, 'd920616161', 'c420616161'],
      [255, 'd9ff616161', 'c4ff616161'],
      [256, 'da01006161', 'c501006161'],
      [65535, 'daffff6161', 'c5ffff6161'],
      [65536, 'db00010000', 'c600010000'],
    ];
    for (const [length, str, bin] of strings) {
      assert.equal(head('a'.repeat(length)), str, `str of ${length}`);
      assert.equal(head(Buffer.alloc(length, 0x61)), bin, `bin of ${length}`);
    }
    const containers: Array<[number, string, string]> = [
      [15, '9fc0c0c0c0', '8fa130c0a1'],
      [16, 'dc0010c0c0', 'de0010a130'],
      [65535, 'dcffffc0c0', 'deffffa130'],
      [65536, 'dd00010000', 'df00010000'],
    ];
    for (const [length, array, map] of containers) {
      assert.equal(head(new Array(length).fill(null)), array, `array of ${length}`);
      // Insertion order of a Map, because JS objects put integer-like keys first.
      assert.equal(
        head(new Map(Array.from({ length }, (_, i) => [String(i), null]))),
        map,
        `map of ${length}`,
      );
    }
  });

  test('non-ASCII strings are sized by their UTF-8 bytes', () => {
    // 11 characters, 31 bytes: still a fixstr. 12 characters, 33 bytes: str8.
    assert.equal(head('é'.repeat(15) + 'a', 1), 'bf');
    assert.equal(head('€'.repeat(11), 2), 'd921');
    const long = 'ü'.repeat(200); // 400 bytes: str16
    assert.equal(head(long, 3), 'da0190');
    assert.equal(encodeMsgpack(long).subarray(3).toString('utf8'), long);
  });

  test('integers beyond 2^53 are written as float64; -0 as 0', () => {
    assert.equal(encodeMsgpack(2 ** 60).toString('hex'), 'cb43b0000000000000');
    assert.equal(encodeMsgpack(-0).toString('hex'), '00');
  });

  test('undefined members are skipped in objects and Maps', () => {
    assert.equal(encodeMsgpack({ a: 1, b: undefined }).toString('hex'), '81a16101');
    assert.equal(encodeMsgpack(new Map([['a', undefined]])).toString('hex'), '80');
  });

  test('refuses values msgpack cannot hold, naming where they are', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ a: [1, Number.NaN] }, /"\$\.a\[1\]" is NaN/],
      [{ a: Number.POSITIVE_INFINITY }, /"\$\.a" is Infinity/],
      [[undefined], /"\$\[0\]" is undefined/],
      [{ f: () => 1 }, /"\$\.f" is a function/],
      [{ s: Symbol('x') }, /"\$\.s" is a symbol/],
      [{ n: 1n }, /"\$\.n" is a bigint/],
      [new Map([[1, 'x']]), /"\$ key" is a number/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => encodeMsgpack(value),
        (error: unknown) =>
          error instanceof CodecError &&
          error.code === CodecErrorCode.Unencodable &&
          message.test(error.message),
      );
    }
  });

  test('one encoder reuses its buffer and grows it; views are valid until the next call', () => {
    const encoder = new MsgpackEncoder();
    const big = 'z'.repeat(200_000);
    const first = Buffer.from(encoder.encodeView({ big }));
    assert.equal(first.length, 1 + 4 + 5 + 200_000);
    const view = encoder.encodeView([1, 2, 3]);
    assert.equal(view.toString('hex'), '93010203');
    assert.deepEqual(Buffer.from(encoder.encodeView({ big })), first);
  });
});
