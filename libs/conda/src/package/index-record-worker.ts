// The worker thread of IndexRecordPool: builds the index record of each archive file it is sent
// and answers with the record or the error, so a whole folder is read on every core. It imports
// only the archive readers (relative paths), not libs/conda's entry point, so a thread starts
// without loading the rattler WASM module.
import { parentPort } from 'node:worker_threads';
import { buildIndexRecordFromFile } from './index-record-file.ts';
import type { IndexRecordRequest, IndexRecordResponse } from './index-record-pool.ts';

if (parentPort === null) throw new Error('index-record-worker.ts runs only as a worker thread');
const port = parentPort;

port.on('message', (request: IndexRecordRequest) => {
  buildIndexRecordFromFile(request.path, request.filename, request.subdir).then(
    (built) => port.postMessage({ id: request.id, record: built.record } satisfies IndexRecordResponse),
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      const code = (failure as { code?: unknown }).code;
      port.postMessage({
        id: request.id,
        error: {
          name: failure.name,
          message: failure.message,
          ...(typeof code === 'string' ? { code } : {}),
        },
      } satisfies IndexRecordResponse);
    },
  );
});
