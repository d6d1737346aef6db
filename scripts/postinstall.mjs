// npm's postinstall: applies patches/ to node_modules (patch-package) in a checkout of this
// repository, where `npm ci` installs the dev dependencies that include patch-package. A failed
// patch fails the install (--error-on-fail): a dependency bumped past what its patch fits must be
// looked at, not run unpatched. An install from the published package has no patches/ (it is not
// in package.json's "files") and no patch-package: there this does nothing, and the node runs
// with the stock dependency (the patch saves CPU on every Noise read; nothing depends on it).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

if (existsSync('patches')) {
  const r = spawnSync('patch-package', ['--error-on-fail'], { stdio: 'inherit', shell: process.platform === 'win32' })
  if (r.error !== undefined) {
    process.stderr.write(`postinstall: cannot run patch-package (${r.error.message}); it is a dev dependency: install with \`npm ci\`\n`)
    process.exit(1)
  }
  process.exit(r.status ?? 1)
}
