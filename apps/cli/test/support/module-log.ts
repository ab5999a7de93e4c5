// Preloaded with `node --import` by the start-up test: records every module the process loads
// (ESM and CommonJS alike) and writes their URLs, one a line, to $CONDASYNC_TEST_MODULE_LOG at exit.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.once('exit', () => {
  writeFileSync(process.env['CONDASYNC_TEST_MODULE_LOG']!, [...loaded].join('\n'));
});
