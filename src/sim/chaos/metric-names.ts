// Gate metrics the chaos machinery adds (besides the simulator's own, METRIC_NAMES in metrics.ts), in
// report order, plus the open family rejected_<reason> (e.g. rejected_overloaded,
// rejected_rate_limited). The same snake_case names in scenario gates, report and summary.
export const CHAOS_METRIC_NAMES = [
  'lost_lookups',
  'unshed_success',
  'load_shed',
  'outside_lookup_success',
  'outside_lookup_p95_ms',
  'outside_hops_p99',
  'honest_provider_success',
  'victim_found',
  'probe_lookups',
  'mttr_s',
  'recovery_s',
  'time_to_alert_s',
  'readiness_flip_s',
  'collapse_s',
  'readiness_lead_s',
  'flipped_nodes',
  'false_alarms',
  'alerts_fired',
  'sybil_suspected',
  'pages_firing_at_end',
  'cpu_queue_peak',
] as const

export const REJECTED_RE = /^rejected_[a-z0-9_]+$/

export function isChaosMetricName(s: string): boolean {
  return (CHAOS_METRIC_NAMES as readonly string[]).includes(s) || REJECTED_RE.test(s)
}
