import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCommand } from '../../src/cli/start.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/argocd/declarative-setup-guestbook.yaml');

describe('sluice start: Argo CD Applications', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses them without --accept-argocd, before connecting to anything', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(await startCommand(['--apps', FIXTURE])).toBe(2);
    expect(errors.join('\n')).toContain('apiVersion: is argoproj.io/v1alpha1, an Argo CD Application: pass --accept-argocd');
  });
});
