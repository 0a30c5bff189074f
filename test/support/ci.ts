/**
 * True under CI (.ci/run installs every tool the suite needs): tests that need a tool from Debian's
 * packages skip without it locally, but run, and fail, under CI, so a CI that lost one cannot pass
 * silently.
 */
export const inCi = process.env.CI === 'true' || process.env.CI === '1';
