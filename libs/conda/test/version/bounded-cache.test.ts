import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache } from '../../src/version/bounded-cache.ts';

describe('BoundedCache', () => {
  it('never holds more than its capacity and hands every evicted value to onEvict exactly once', () => {
    const evicted: number[] = [];
    const cache = new BoundedCache<string, number>(8, (value) => evicted.push(value));
    for (let i = 0; i < 100; i++) {
      cache.set(`k${i}`, i);
      assert.ok(cache.size <= 8, `size ${cache.size} after ${i + 1} inserts`);
    }
    const live = [...Array(100).keys()].filter((i) => cache.get(`k${i}`) !== undefined);
    assert.deepEqual(
      [...evicted, ...live].sort((a, b) => a - b),
      [...Array(100).keys()],
    );
    // The most recent half is always retained.
    for (let i = 96; i < 100; i++) assert.equal(cache.get(`k${i}`), i);
  });

  it('keeps entries that keep being used', () => {
    const evicted: string[] = [];
    const cache = new BoundedCache<string, string>(8, (value) => evicted.push(value));
    cache.set('hot', 'hot');
    for (let i = 0; i < 1000; i++) {
      assert.equal(cache.get('hot'), 'hot');
      cache.set(`cold${i}`, `cold${i}`);
    }
    assert.equal(evicted.includes('hot'), false);
    assert.ok(evicted.length >= 990);
  });

  it('frees a replaced value and everything on clear()', () => {
    const evicted: string[] = [];
    const cache = new BoundedCache<string, string>(8, (value) => evicted.push(value));
    cache.set('a', 'first');
    cache.set('a', 'second');
    assert.deepEqual(evicted, ['first']);
    cache.set('b', 'other');
    cache.clear();
    assert.deepEqual(evicted.sort(), ['first', 'other', 'second']);
    assert.equal(cache.size, 0);
    assert.equal(cache.get('a'), undefined);
  });

  it('counts hits, misses and evictions', () => {
    const cache = new BoundedCache<number, number>(4);
    for (let i = 0; i < 6; i++) cache.set(i, i);
    cache.get(5);
    cache.get(0);
    const stats = cache.stats();
    assert.equal(stats.hits, 1);
    assert.equal(stats.misses, 1);
    assert.equal(stats.evictions, 2);
    assert.equal(stats.capacity, 4);
  });

  it('rejects a capacity too small to hold two generations', () => {
    assert.throws(() => new BoundedCache(3), RangeError);
  });
});
