import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Leaves the SDK's default credential chain nothing to find in this process: no ALIBABA_CLOUD_*
 * variables, a HOME with no profile, no CLI config, no instance metadata. Returns that HOME (a new
 * temporary folder); the caller restores process.env and removes it.
 */
export function emptyCredentialChain(): string {
  const home = mkdtempSync(join(tmpdir(), 'smsq-nocreds-'));
  for (const k of Object.keys(process.env)) if (k.startsWith('ALIBABA_CLOUD_')) delete process.env[k];
  Object.assign(process.env, {
    HOME: home,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    ALIBABA_CLOUD_CREDENTIALS_FILE: join(home, 'none'),
  });
  return home;
}
