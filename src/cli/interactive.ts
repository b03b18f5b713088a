/**
 * ink draws only the last frame when it believes it runs under CI (its
 * is-in-ci dependency reads CI / CONTINUOUS_INTEGRATION once, when ink is
 * first imported). `parley chat` only runs on a terminal a person is looking
 * at (TERMINAL_REQUIRED otherwise), whatever the environment says: the
 * markers are neutralised for this process before ink is loaded.
 */
const CI_MARKERS = ['CI', 'CONTINUOUS_INTEGRATION'] as const

export function markInteractive(env: NodeJS.ProcessEnv = process.env): void {
  for (const key of CI_MARKERS) if (key in env) env[key] = 'false'
}
