// Writes dist/build-info.json with the commit the build came from, so build_info{commit} and
// /v1/self name it (`git` missing or not a checkout: "unknown"; a dirty tree: "<sha>-dirty").
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'

function git(...args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}
const sha = git('rev-parse', '--short=12', 'HEAD')
const dirty = sha !== undefined && git('status', '--porcelain', '--untracked-files=no') !== ''
mkdirSync('dist', { recursive: true })
writeFileSync('dist/build-info.json', `${JSON.stringify({ commit: sha === undefined ? 'unknown' : `${sha}${dirty ? '-dirty' : ''}` })}\n`)
