// Package-filter benchmark: 500 k synthetic records (linux-64 + noarch) with realistic names, versions,
// builds, licenses and depends (python/python_abi pins on every Python build).
//
//   node bench/matchspec-filter.bench.ts [--records 500000]
//
// Each scenario runs in its own process so its peak RSS is its own. Scenarios:
//   rules     compileFilter + select: MatchSpec/glob/object blacklist, license_blacklist, python_versions
//   closure   pkg_list (40 roots) + include_dependencies + python_versions
//   full      include_dependencies without pkg_list (every eligible record's depends resolved) + blacklist
//   rattler   per-call cost of rattler's WASM objects, and of our memoized wrappers
import { spawnSync } from 'node:child_process';
import { Version, VersionSpec } from '@conda-org/rattler';
import {
  compareVersions,
  compileFilter,
  type FilterableRecord,
  type FilterRules,
  versionCacheStats,
  versionMatches,
} from '@condasync/conda';
import { argument, peakRssMiB, print, seededRandom } from './support/bench-utils.ts';

type Subdirs = Map<string, Map<string, FilterableRecord>>;

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

const PYTHONS = ['3.8', '3.9', '3.10', '3.11', '3.12'] as const;
const LICENSES: Array<[string, string | null]> = [
  ['MIT', 'MIT'],
  ['BSD-3-Clause', 'BSD'],
  ['Apache-2.0', 'Apache'],
  ['GPL-3.0-or-later', 'GPL3'],
  ['LGPL-2.1-or-later', 'LGPL'],
  ['GPL-2.0-only', ''],
  ['MPL-2.0', null],
  ['BSD-3-Clause AND MIT', null],
  ['AGPL-3.0-only', null],
  ['PSF-2.0', 'PSF'],
];

interface PackageSpec {
  name: string;
  kind: 'lib' | 'py' | 'noarch';
  versions: string[];
  deps: PackageSpec[];
}

/**
 * Builds a layered dependency graph (libs ← python packages ← noarch packages) and emits records until
 * `total` is reached: libs get several builds per version, Python packages one build per Python version.
 */
function generateChannel(total: number): Subdirs {
  const next = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const versionsFor = (count: number): string[] => {
    const versions: string[] = [];
    let [major, minor, patch] = [Math.floor(next() * 3), Math.floor(next() * 10), 0];
    for (let i = 0; i < count; i++) {
      const step = next();
      if (step < 0.1) [major, minor, patch] = [major + 1, 0, 0];
      else if (step < 0.4) [minor, patch] = [minor + 1, 0];
      else patch++;
      const flavour = next();
      versions.push(
        flavour < 0.03
          ? `${major}.${minor}.${patch}rc1`
          : flavour < 0.05
            ? `${major}.${minor}.${patch}${String.fromCharCode(97 + Math.floor(next() * 26))}`
            : flavour < 0.06
              ? `1!${major}.${minor}.${patch}`
              : `${major}.${minor}.${patch}`,
      );
    }
    return versions;
  };
  const packages: PackageSpec[] = [];
  const libs: PackageSpec[] = [];
  const pys: PackageSpec[] = [];
  const prefixes = ['lib', 'py', 'r-', 'ros-', 'perl-'];
  for (let i = 0; i < 3000; i++) {
    const lib: PackageSpec = {
      name: `lib${pick(['ssl', 'xml', 'z', 'png', 'uv'])}-${i}`,
      kind: 'lib',
      versions: versionsFor(4 + Math.floor(next() * 12)),
      deps: [],
    };
    lib.deps = Array.from({ length: Math.floor(next() * 3) }, () => pick(libs)).filter(Boolean);
    libs.push(lib);
    packages.push(lib);
  }
  for (let i = 0; i < 9000; i++) {
    const py: PackageSpec = {
      name: `${pick(prefixes)}pkg-${i}`,
      kind: 'py',
      versions: versionsFor(3 + Math.floor(next() * 10)),
      deps: [],
    };
    py.deps = [...Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(libs))];
    if (pys.length > 0) py.deps.push(...Array.from({ length: Math.floor(next() * 3) }, () => pick(pys)));
    pys.push(py);
    packages.push(py);
  }
  for (let i = 0; i < 6000; i++) {
    const pure: PackageSpec = {
      name: `pure-${i}`,
      kind: 'noarch',
      versions: versionsFor(2 + Math.floor(next() * 8)),
      deps: [],
    };
    pure.deps = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(pys));
    packages.push(pure);
  }

  const linux = new Map<string, FilterableRecord>();
  const noarch = new Map<string, FilterableRecord>();
  let emitted = 0;
  const pinTo = (dep: PackageSpec): string => {
    const style = next();
    const version = pick(dep.versions)
      .replace(/^1!/, '')
      .replace(/[a-z]+\d*$/, '');
    const [major = '0', minor = '0'] = version.split('.');
    if (style < 0.5) return `${dep.name} >=${version},<${Number(major) + 1}.0a0`;
    if (style < 0.7) return `${dep.name} ${major}.${minor}.*`;
    if (style < 0.85) return `${dep.name} >=${version}`;
    return dep.name;
  };
  const emit = (subdir: Map<string, FilterableRecord>, record: FilterableRecord) => {
    const [license, family] = pick(LICENSES);
    record.license = license;
    if (family !== null) record.license_family = family;
    subdir.set(`${record.name}-${record.version}-${record.build}.conda`, record);
    emitted++;
  };
  for (const [name, version] of [
    ['libgcc-ng', '13.2.0'],
    ['libgcc-ng', '12.3.0'],
    ['libgcc-ng', '11.2.0'],
    ['libzlib', '1.3.1'],
  ] as const) {
    emit(linux, {
      name,
      version,
      build: 'h77fa898_13',
      build_number: 13,
      depends: ['__glibc >=2.17'],
      subdir: 'linux-64',
    });
  }
  for (const python of PYTHONS) {
    for (let patch = 0; patch < 20; patch++) {
      emit(linux, {
        name: 'python',
        version: `${python}.${patch}`,
        build: `h${patch}_0_cpython`,
        build_number: 0,
        depends: ['libgcc-ng >=12', 'libzlib >=1.2.13,<2.0a0'],
        subdir: 'linux-64',
      });
      emit(linux, {
        name: 'python_abi',
        version: python,
        build: `${patch}_cp${python.replace('.', '')}`,
        build_number: patch,
        depends: [],
        subdir: 'linux-64',
      });
    }
  }
  for (let round = 0; emitted < total; round++) {
    for (const pkg of packages) {
      if (emitted >= total) break;
      const version = pkg.versions[round % pkg.versions.length] as string;
      const deps = pkg.deps.map(pinTo);
      const hash = Math.floor(next() * 0xffffffff)
        .toString(16)
        .padStart(8, '0');
      if (pkg.kind === 'lib') {
        for (let build = 0; build < 3; build++) {
          emit(linux, {
            name: pkg.name,
            version,
            build: `h${hash}_${build}`,
            build_number: build,
            depends: [...deps, 'libgcc-ng >=12', '__glibc >=2.17'],
            subdir: 'linux-64',
          });
        }
      } else if (pkg.kind === 'py') {
        for (const python of PYTHONS) {
          const tag = python.replace('.', '');
          const [major, minor] = python.split('.');
          emit(linux, {
            name: pkg.name,
            version,
            build: `py${tag}h${hash}_0`,
            build_number: 0,
            depends: [
              ...deps,
              `python >=${python},<${major}.${Number(minor) + 1}.0a0`,
              `python_abi ${python}.* *_cp${tag}`,
            ],
            subdir: 'linux-64',
          });
        }
      } else {
        emit(noarch, {
          name: pkg.name,
          version,
          build: `pyh${hash}_0`,
          build_number: 0,
          depends: [...deps, 'python >=3.8'],
          subdir: 'noarch',
        });
      }
    }
  }
  return new Map([
    ['linux-64', linux],
    ['noarch', noarch],
  ]);
}

const SCENARIOS: Record<string, FilterRules> = {
  rules: {
    blacklist: [
      'py-pkg-12 >=1,<3',
      'lib*-7*',
      { name: 'r-pkg-100', build: 'py38*' },
      'pure-5',
      'perl-pkg-2* 0.*',
    ],
    whitelist: ['lib*-77 >=1'],
    licenseBlacklist: ['AGPL', 'GPL3'],
    pythonVersions: ['3.11', '3.12'],
  },
  closure: {
    pkgList: [
      ...Array.from({ length: 30 }, (_, i) => `py-pkg-${i * 97}`),
      ...Array.from({ length: 10 }, (_, i) => `pure-${i * 211}`),
    ],
    includeDependencies: true,
    pythonVersions: ['3.11', '3.12'],
  },
  full: {
    blacklist: ['py-pkg-12 >=1,<3', 'lib*-7*'],
    includeDependencies: true,
    pythonVersions: ['3.12'],
  },
};

function runScenario(name: string, total: number): void {
  const rules = SCENARIOS[name];
  if (rules === undefined) throw new Error(`unknown scenario ${name}`);
  let started = performance.now();
  const channel = generateChannel(total);
  const generateMs = performance.now() - started;
  const records = [...channel.values()].reduce((sum, subdir) => sum + subdir.size, 0);
  const rssAfterGenerate = process.memoryUsage().rss;
  started = performance.now();
  const filter = compileFilter(rules);
  const compiledMs = performance.now() - started;
  started = performance.now();
  const result = filter.select(channel);
  const selectMs = performance.now() - started;
  const selected = [...result.selected.values()].reduce((sum, subdir) => sum + subdir.size, 0);
  const caches = versionCacheStats();
  print(
    `${name.padEnd(8)} records=${records} generate=${generateMs.toFixed(0)}ms compile=${compiledMs.toFixed(1)}ms ` +
      `select=${selectMs.toFixed(0)}ms selected=${selected} excluded=${JSON.stringify(result.excluded)} ` +
      `unresolved=${result.unresolved.length}`,
  );
  print(
    `${''.padEnd(8)} rss after generate=${mib(rssAfterGenerate)}MiB peak rss=${peakRssMiB().toFixed(0)}MiB ` +
      `version cache: ${caches.versions.size} live, ${caches.versions.hits} hits/${caches.versions.misses} misses/${caches.versions.evictions} evictions; ` +
      `spec cache: ${caches.versionSpecs.size} live, ${caches.versionSpecs.hits} hits/${caches.versionSpecs.misses} misses`,
  );
}

function timePerCall(label: string, calls: number, body: (i: number) => void): void {
  const started = performance.now();
  for (let i = 0; i < calls; i++) body(i);
  print(`${label.padEnd(52)} ${(((performance.now() - started) * 1000) / calls).toFixed(3)} µs/call`);
}

function runRattler(): void {
  const n = 200_000;
  timePerCall('rattler new Version + free', n, (i) => new Version(`1.${i % 1000}.${i % 37}`).free());
  timePerCall('rattler new VersionSpec + free', n / 10, (i) =>
    new VersionSpec(`>=1.${i % 1000},<2.0a0`, 'lenient').free(),
  );
  const a = new Version('1.2.3');
  const b = new Version('1.2.4');
  const spec = new VersionSpec('>=1.2,<2', 'lenient');
  timePerCall('rattler Version.compare (objects held)', n, () => a.compare(b));
  timePerCall('rattler VersionSpec.matches (objects held)', n, () => spec.matches(a));
  timePerCall('compareVersions (memoized, 1000 distinct strings)', n, (i) =>
    compareVersions(`1.${i % 1000}`, '1.500'),
  );
  timePerCall('versionMatches (memoized, 1000 distinct versions)', n, (i) =>
    versionMatches('>=1.2,<2', `1.${i % 1000}`),
  );
  timePerCall('compareVersions (cold: every string new, LRU evicting)', n, (i) =>
    compareVersions(`2.${i}.1`, `2.${i}.2`),
  );
}

const scenario = argument('scenario', '');
const total = Number(argument('records', '500000'));
if (scenario === 'rattler') runRattler();
else if (scenario !== '') runScenario(scenario, total);
else {
  print(`node ${process.version}, ${total} records; each scenario in its own process`);
  for (const name of [...Object.keys(SCENARIOS), 'rattler']) {
    const child = spawnSync(
      process.execPath,
      [import.meta.filename, '--scenario', name, '--records', String(total)],
      {
        stdio: 'inherit',
      },
    );
    if (child.status !== 0) process.exitCode = 1;
  }
}
