import { readFileSync } from 'node:fs'

/** The package version, read once from package.json next to dist/ or src/. */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
})()

/** The commit the build came from: $DHT_SIM_COMMIT, else dist/build-info.json (npm run build), else "unknown". */
export const COMMIT: string = (() => {
  if (process.env.DHT_SIM_COMMIT !== undefined && process.env.DHT_SIM_COMMIT !== '') return process.env.DHT_SIM_COMMIT
  try {
    const info = JSON.parse(readFileSync(new URL('../build-info.json', import.meta.url), 'utf8')) as { commit?: string }
    return info.commit ?? 'unknown'
  } catch {
    return 'unknown'
  }
})()
