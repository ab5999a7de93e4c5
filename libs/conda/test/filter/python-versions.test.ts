import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FilterableRecord } from '../../src/filter/index.ts';
import { PythonVersionFilter } from '../../src/filter/python-versions.ts';

function record(name: string, version: string, depends: string[]): FilterableRecord {
  return { name, version, build: '0', build_number: 0, depends };
}

describe('PythonVersionFilter', () => {
  const filter = new PythonVersionFilter(['3.10', '3.11']);

  it('keeps python interpreters only in the listed X.Y series', () => {
    assert.equal(filter.accepts(record('python', '3.10.14', []), 'linux-64'), true);
    assert.equal(filter.accepts(record('python', '3.11.0', []), 'linux-64'), true);
    assert.equal(filter.accepts(record('python', '3.1.5', []), 'linux-64'), false);
    assert.equal(filter.accepts(record('python', '3.12.1', []), 'linux-64'), false);
    assert.equal(filter.accepts(record('python_abi', '3.10', []), 'linux-64'), true);
    assert.equal(filter.accepts(record('python_abi', '3.9', []), 'linux-64'), false);
  });

  it('accepts the pin styles found in real repodata', () => {
    const kept = [
      'python >=3.10,<3.11.0a0',
      'python 3.10.*',
      'python 3.11*',
      'python_abi 3.10.* *_cp310',
      'python >=3.10.2',
      'python 3.10.12',
      'python >=3.6',
      'python',
      'python * *_cpython',
    ];
    for (const pin of kept) assert.equal(filter.accepts(record('pkg', '1.0', [pin]), 'linux-64'), true, pin);
    const dropped = [
      'python 2.7*',
      'python >=3.9,<3.10.0a0',
      'python_abi 3.12.* *_cp312',
      'python <3',
      'python >=3.12',
    ];
    for (const pin of dropped)
      assert.equal(filter.accepts(record('pkg', '1.0', [pin]), 'linux-64'), false, pin);
    assert.equal(
      new PythonVersionFilter(['2.7']).accepts(record('pkg', '1.0', ['python 2.7*']), 'linux-64'),
      true,
    );
    // Only a late patch release of the series satisfies these, so X.Y alone would wrongly drop them.
    const only310 = new PythonVersionFilter(['3.10']);
    for (const pin of ['python >=3.10.2,<3.11.0a0', 'python >3.10.0', 'python 3.10.12']) {
      assert.equal(only310.accepts(record('pkg', '1.0', [pin]), 'linux-64'), true, pin);
    }
    assert.equal(only310.accepts(record('pkg', '1.0', ['python >=3.11.0a0']), 'linux-64'), false);
  });

  it('requires one listed version to satisfy all pins of a record', () => {
    const consistent = record('pkg', '1', ['python >=3.10,<3.11.0a0', 'python_abi 3.10.* *_cp310']);
    const contradictory = record('pkg', '1', ['python >=3.11,<3.12.0a0', 'python_abi 3.10.* *_cp310']);
    assert.equal(filter.accepts(consistent, 'linux-64'), true);
    assert.equal(filter.accepts(contradictory, 'linux-64'), false);
  });

  it('keeps python-agnostic records and everything in noarch', () => {
    assert.equal(filter.accepts(record('zlib', '1.3', ['libgcc-ng >=12']), 'linux-64'), true);
    assert.equal(filter.accepts({ name: 'x', version: '1', build: '0', build_number: 0 }, 'linux-64'), true);
    assert.equal(filter.accepts(record('six', '1.16', ['python >=2.7,<2.8']), 'noarch'), true);
    // Does not mistake python-dateutil or pythonnet for a python pin.
    assert.equal(
      filter.accepts(record('pkg', '1', ['python-dateutil >=2.8', 'pythonnet 2.5']), 'linux-64'),
      true,
    );
  });

  it('excludes a record whose python pin cannot be parsed', () => {
    assert.equal(filter.accepts(record('pkg', '1', ['python >=3.10,']), 'linux-64'), false);
  });
});
