export { CredentialStore, credentialRulesFromEnv, parseCredentialRules, type CredentialRule, type GitCredentials } from './credentials.ts';
export { GitError, type GitErrorCode } from './errors.ts';
export { touchesAny, type Snapshot, type SnapshotLimits } from './objects.ts';
export type { CachedRepository } from './repository.ts';
export { GitSource, type GitSourceOptions } from './source.ts';
export type { CommitInfo, ResolvedRevision } from './types.ts';
export { parseRepoUrl, type RepoUrl } from './url.ts';
