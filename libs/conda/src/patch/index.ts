export {
  applyPatchInstructions,
  type PatchableRepodata,
  type PatchedRepodata,
  REVOKED_DEPENDENCY,
} from './apply-patch-instructions.ts';
export {
  MAX_PATCH_INSTRUCTIONS_VERSION,
  type PatchInstructions,
  parsePatchInstructions,
  type RecordPatch,
} from './patch-instructions.ts';
