// Rendering of an exploration (`dht-sim explore`): the summary printed and written as
// explore.md, a failing seed's shrunk schedule as YAML, and that schedule as a scenario file
// that replays it with no drawn faults.
import YAML from 'yaml'
import { exploredScenario, type ExploreReport, type SeedResult } from '../sim/explore/explore.js'
import type { ResolvedScenario } from '../sim/scenario.js'

function failure(r: SeedResult): string {
  if (r.violation !== null) return `safety: ${r.violation.check} at ${r.violation.at_s} s: ${r.violation.message}`
  return `liveness: success ${r.liveness_success ?? 'n/a'} (${r.liveness_note})`
}

/** The schedule as the YAML a scenario's `faults` (and `adversary`) would hold. */
export function scheduleYaml(r: SeedResult): string {
  const doc: Record<string, unknown> = { faults: r.schedule.faults.map((f) => ({ ...f })) }
  if (r.schedule.sybils !== undefined) doc.adversary = { fraction: r.schedule.sybils.fraction, behaviours: r.schedule.sybils.behaviours }
  return YAML.stringify(doc, { flowCollectionPadding: true, collectionStyle: 'block' })
}

/**
 * A scenario file that runs the shrunk schedule as the scenario's own faults: the scenario exactly
 * as the explored seed ran it (peer count and the workload scaled with it, no gates: a gate may
 * name a fault that shrinking removed), so that `--no-draw` replays the same run.
 */
export function shrunkScenarioYaml(base: ResolvedScenario, r: SeedResult, peers: number | undefined): string {
  const doc = JSON.parse(JSON.stringify(exploredScenario(base, r.schedule, peers))) as Record<string, unknown>
  delete doc.variants
  doc.name = base.name
  doc.gate = false
  doc.seed = r.seed
  doc.description = `shrunk schedule of explored seed ${r.seed} (${failure(r)})`.slice(0, 2000)
  return `# Written by dht-sim explore: ${failure(r).slice(0, 300)}\n${YAML.stringify(doc)}`
}

export function renderExploreText(rep: ExploreReport): string {
  const lines: string[] = []
  lines.push(`explore ${rep.scenario}: seeds ${rep.from}..${rep.from + rep.seeds - 1} (${rep.seeds}), ${rep.peers} peers, invariants every ${rep.invariant_every} steps`)
  lines.push(`safety violations: ${rep.violations}; liveness failures: ${rep.liveness_failures}`)
  for (const f of rep.failed) {
    lines.push('', `seed ${f.seed} FAILS: ${failure(f.original)}`, `  replay: ${f.replay}`)
    lines.push(`  shrunk (${f.shrink_runs} runs; ${f.shrunk.schedule.faults.length} of ${f.original.schedule.faults.length} faults left${f.original.schedule.sybils !== undefined ? `, Sybils ${f.shrunk.schedule.sybils !== undefined ? 'kept' : 'removed'}` : ''}): ${failure(f.shrunk)}`)
    for (const line of scheduleYaml(f.shrunk).trimEnd().split('\n')) lines.push(`    ${line}`)
  }
  lines.push('', 'fault kinds (seeds drawn / seeds where the fault state was reached):')
  for (const [k, v] of Object.entries(rep.fault_kinds)) lines.push(`  ${k}: ${v.drawn} / ${v.reached}`)
  if (rep.never_reached.length > 0) lines.push(`  NEVER REACHED: ${rep.never_reached.join(', ')}`)
  lines.push('', 'sometimes (states reached; seeds that reached them):')
  for (const [k, v] of Object.entries(rep.sometimes)) lines.push(`  ${k}: ${v}`)
  lines.push('', rep.pass ? 'explore PASS' : 'explore FAIL')
  return `${lines.join('\n')}\n`
}

export function renderExploreMarkdown(rep: ExploreReport): string {
  return `# Exploration of ${rep.scenario}\n\n\`\`\`\n${renderExploreText(rep)}\`\`\`\n`
}
