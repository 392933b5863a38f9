export { CredentialStore, credentialRulesFromEnv, parseCredentialRules, type CredentialRule, type GitCredentials } from './credentials.ts';
export { GitError, type GitErrorCode } from './errors.ts';
export { touchesAny } from './objects.ts';
export type { Snapshot, SnapshotLimits } from './snapshot.ts';
export type { CachedRepository } from './repository.ts';
export { GitSource, type GitSourceOptions } from './source.ts';
export type { CommitInfo, ResolvedRevision } from './types.ts';
export { parseRepoUrl, type RepoUrl } from './url.ts';
