// deploy/ checked with real tools: the systemd unit with `systemd-analyze verify` (Debian's
// systemd), the Kubernetes manifests against the Kubernetes JSON schemas (kubernetes-models),
// and every PromQL expression of the Grafana dashboard parsed by `promtool`. Each tool check is
// skipped, with the reason printed, when the tool is missing; .ci/run installs them.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { StatefulSet } from 'kubernetes-models/apps/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { loadConfig } from '../../src/node/config/index.js'
import { ALL_METRIC_NAMES } from '../../src/node/metric-names.js'

const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url))
const has = (cmd: string, arg = '--version'): boolean => spawnSync(cmd, [arg], { encoding: 'utf8' }).status === 0
const hasSystemd = has('systemd-analyze')
const hasPromtool = has('promtool')
if (!hasSystemd) console.warn('deploy-files: systemd unit check SKIPPED, systemd-analyze not on PATH (apt-get install -y systemd)')
if (!hasPromtool) console.warn('deploy-files: dashboard PromQL check SKIPPED, promtool not on PATH (apt-get install -y prometheus)')

function verifyUnit(text: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'unit-'))
  const file = join(dir, 'dht-sim.service')
  // The unit names the installed paths; point ExecStart at this checkout so verify finds it.
  writeFileSync(file, text.replace('/opt/dht-sim/bin/dht-sim.js', fileURLToPath(new URL('../../bin/dht-sim.js', import.meta.url))).replace('/usr/bin/node', process.execPath))
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe.skipIf(!hasSystemd)(`systemd unit${hasSystemd ? '' : ' (SKIPPED: no systemd-analyze)'}`, () => {
  const unit = readFileSync(join(deploy, 'systemd/dht-sim.service'), 'utf8')

  it('passes systemd-analyze verify with no warning', () => {
    const r = verifyUnit(unit)
    expect(r.out.split('\n').filter((l) => l.includes('dht-sim.service'))).toEqual([])
    expect(r.status).toBe(0)
  })

  it('the check can fail: a misspelt directive and a missing ExecStart binary are reported', () => {
    expect(verifyUnit(unit.replace('NoNewPrivileges=', 'NoNewPrivilegez=')).out).toMatch(/Unknown key 'NoNewPrivilegez'/)
    const missing = verifyUnit(unit.replace(/^ExecStart=.*$/m, 'ExecStart=/nonexistent/node serve'))
    expect(missing.status).not.toBe(0)
    expect(missing.out).toMatch(/not executable/)
  })

  it('is hardened as the runbook says', () => {
    for (const d of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'StateDirectory=dht-sim', 'Restart=on-failure', 'ProtectHome=yes', 'DynamicUser=yes']) expect(unit).toContain(d)
  })
})

const kinds: Record<string, new (o: never) => { validate(): void }> = {
  StatefulSet: StatefulSet as never,
  ConfigMap: ConfigMap as never,
  Secret: Secret as never,
  Service: Service as never,
  PodDisruptionBudget: PodDisruptionBudget as never,
}

function manifests(): Array<{ file: string; doc: Record<string, unknown> }> {
  const dir = join(deploy, 'kubernetes')
  const out: Array<{ file: string; doc: Record<string, unknown> }> = []
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      expect(d.errors).toEqual([])
      out.push({ file: f, doc: d.toJS() as Record<string, unknown> })
    }
  }
  return out
}

describe('Kubernetes manifests', () => {
  it('every manifest validates against its Kubernetes schema', () => {
    const docs = manifests()
    expect(docs.map((d) => d.doc.kind).sort()).toEqual(['ConfigMap', 'PodDisruptionBudget', 'Secret', 'Service', 'StatefulSet'])
    for (const { file, doc } of docs) {
      const K = kinds[doc.kind as string]
      expect(K, `${file}: unexpected kind ${String(doc.kind)}`).toBeDefined()
      expect(() => new K!(doc as never).validate(), file).not.toThrow()
    }
  })

  it('the schema check can fail: a port as text is refused', () => {
    const sts = manifests().find((d) => d.doc.kind === 'StatefulSet')!.doc
    const bad = JSON.parse(JSON.stringify(sts).replace('"containerPort":9909', '"containerPort":"9909"')) as never
    expect(() => new StatefulSet(bad).validate()).toThrow(/containerPort/)
  })

  it('probes /healthz and /readyz, limits memory, and takes the token from the Secret', () => {
    const sts = manifests().find((d) => d.doc.kind === 'StatefulSet')!.doc as {
      spec: { template: { spec: { containers: Array<Record<string, { httpGet?: { path: string }; limits?: Record<string, string>; requests?: Record<string, string> }>> ; volumes: Array<{ secret?: { secretName: string } }> } } }
    }
    const c = sts.spec.template.spec.containers[0]!
    expect(c.livenessProbe!.httpGet!.path).toBe('/healthz')
    expect(c.readinessProbe!.httpGet!.path).toBe('/readyz')
    expect(c.resources!.limits!.memory).toBeDefined()
    expect(c.resources!.requests!.cpu).toBeDefined()
    expect(sts.spec.template.spec.volumes.some((v) => v.secret?.secretName === 'dht-sim-admin')).toBe(true)
  })

  it("the ConfigMap's dht.toml is a valid node configuration", () => {
    const cm = manifests().find((d) => d.doc.kind === 'ConfigMap')!.doc as { data: Record<string, string> }
    const dir = mkdtempSync(join(tmpdir(), 'cm-'))
    writeFileSync(join(dir, 'dht.toml'), cm.data['dht.toml']!)
    const c = loadConfig({ file: join(dir, 'dht.toml'), env: {}, flags: {} })
    expect(c.metricsAddr.text).toBe('0.0.0.0:9909')
    expect(c.dataDir).toBe('/var/lib/dht-sim')
  })
})

/** Every PromQL expression of the dashboard, with Grafana's variables given concrete values. */
function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(join(deploy, 'grafana/dht-sim-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> }
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.*').replaceAll('$instance', '.*')))
}

describe('Grafana dashboard', () => {
  it('charts only metrics the node exports', () => {
    const known = new Set(ALL_METRIC_NAMES.flatMap((n) => [n, `${n}_bucket`]).concat(['process_resident_memory_bytes', 'process_cpu_seconds_total']))
    for (const e of dashboardExprs()) {
      const names = e.match(/\b[a-z_]+(?=\{)/g) ?? []
      for (const n of names) expect(known.has(n), `${n} in ${e}`).toBe(true)
    }
  })

  it.skipIf(!hasPromtool)(`every expression parses with promtool${hasPromtool ? '' : ' (SKIPPED: no promtool)'}`, () => {
    const exprs = dashboardExprs()
    expect(exprs.length).toBeGreaterThan(15)
    const check = (list: string[]): { status: number | null; out: string } => {
      const dir = mkdtempSync(join(tmpdir(), 'dash-'))
      const rules = ['groups:', '  - name: dashboard', '    rules:', ...list.flatMap((e, i) => [`      - record: dashboard:panel_${i}`, `        expr: ${JSON.stringify(e)}`])]
      writeFileSync(join(dir, 'rules.yml'), `${rules.join('\n')}\n`)
      const r = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8', timeout: 30_000 })
      return { status: r.status, out: `${r.stdout}${r.stderr}` }
    }
    const ok = check(exprs)
    expect(ok.out).toContain(`SUCCESS: ${exprs.length} rules found`)
    expect(ok.status).toBe(0)
    expect(check(['sum by (op (rate(requests_total[5m]))']).status).not.toBe(0)
  })
})
