export {
  blobKeyOf,
  currentOf,
  type Generation,
  type GenerationFile,
  type GenerationIndex,
  type GenerationStore,
  type GenerationSummary,
  isRetained,
  readGenerationIndex,
  retainedGeneration,
  retainedGenerations,
} from './layout.ts';
export {
  dropOlderGenerations,
  type GenerationContext,
  type RecordGenerationInput,
  type RecordGenerationResult,
  recordGeneration,
  recordImportedGeneration,
} from './record.ts';
export { type RollbackInput, type RollbackResult, rollbackToGeneration } from './rollback.ts';
