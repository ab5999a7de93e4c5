export { loadWorkerConfig, type WorkerConfig } from './config.ts';
export { type RunningWorker, runWorkerProcess, startWorker } from './main.ts';
