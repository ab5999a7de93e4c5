import { Worker } from 'node:worker_threads';
import { CondaError, type CondaErrorCode } from '../errors.ts';
import type { PackageRecordJson } from '../repodata/types.ts';
import type { IndexRecord } from './index-record.ts';

/** A request to a worker thread: build the record of the archive file at `path`. */
export interface IndexRecordRequest {
  id: number;
  path: string;
  filename: string;
  subdir: string;
}

/** A worker thread's answer: the record, or the error as plain data (errors lose fields on the way). */
export type IndexRecordResponse =
  | { id: number; record: PackageRecordJson }
  | { id: number; error: { name: string; message: string; code?: string } };

interface Task {
  filename: string;
  resolve: (record: IndexRecord) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  tasks: Map<number, Task>;
}

const WORKER_URL = new URL('./index-record-worker.ts', import.meta.url);

/**
 * `buildIndexRecordFromFile` on worker threads, so reading a folder of archives (bzip2 and zstd
 * decoding, md5 and sha256 of every byte) uses every core instead of one. Each call goes to the
 * thread with the fewest archives in flight; results and errors are those of the same call made
 * in this thread (a CondaError keeps its code). Call `close()` when done.
 */
export class IndexRecordPool {
  readonly #threads: Thread[] = [];
  #nextId = 0;

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`an index record pool needs a whole number of threads ≥ 1, got ${threads}`);
    }
    for (let i = 0; i < threads; i++) this.#threads.push(this.#start());
  }

  get threads(): number {
    return this.#threads.length;
  }

  build(path: string, filename: string, subdir: string): Promise<IndexRecord> {
    let thread = this.#threads[0]!;
    for (const candidate of this.#threads) if (candidate.tasks.size < thread.tasks.size) thread = candidate;
    const id = this.#nextId++;
    return new Promise<IndexRecord>((resolve, reject) => {
      thread.tasks.set(id, { filename, resolve, reject });
      thread.worker.postMessage({ id, path, filename, subdir } satisfies IndexRecordRequest);
    });
  }

  /** Stops the threads; archives still in flight fail. */
  async close(): Promise<void> {
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }

  #start(): Thread {
    const worker = new Worker(WORKER_URL);
    const thread: Thread = { worker, tasks: new Map() };
    worker.on('message', (response: IndexRecordResponse) => {
      const task = thread.tasks.get(response.id);
      if (task === undefined) return;
      thread.tasks.delete(response.id);
      if ('record' in response) task.resolve({ filename: task.filename, record: response.record });
      else task.reject(rebuildError(response.error));
    });
    const failAll = (problem: string, cause?: unknown) => {
      for (const task of thread.tasks.values()) {
        task.reject(new Error(`package archive ${JSON.stringify(task.filename)}: ${problem}`, { cause }));
      }
      thread.tasks.clear();
    };
    worker.on('error', (error) => failAll(`the index worker thread failed: ${error.message}`, error));
    worker.on('exit', (code) => failAll(`the index worker thread exited (code ${code}) before answering`));
    return thread;
  }
}

function rebuildError(error: { name: string; message: string; code?: string }): Error {
  if (error.name === 'CondaError' && error.code !== undefined) {
    return new CondaError(error.code as CondaErrorCode, error.message);
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.code !== undefined) Object.assign(rebuilt, { code: error.code });
  return rebuilt;
}
