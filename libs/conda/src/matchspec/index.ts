export { BuildNumberConstraint } from './build-number.ts';
export { type MatchSpecObject, matchSpecFromObject } from './from-object.ts';
export { type MatchableRecord, MatchSpec, parseMatchSpec } from './match-spec.ts';
