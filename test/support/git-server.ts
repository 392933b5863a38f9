/** Tests serve repositories through the real git http-backend (see src/demo/git-server.ts). */
export { gitAvailable, startGitServer, type CommitOptions, type GitServer, type GitServerOptions, type TestRepo } from '../../src/demo/git-server.ts';
