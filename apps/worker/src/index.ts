export { loadWorkerConfig, type WorkerConfig, WorkerConfigError } from './config.ts';
export { type RunningWorker, runWorkerProcess, startWorker } from './main.ts';
