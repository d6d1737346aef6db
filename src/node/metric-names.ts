// The Prometheus metric names the node exports (prom-client, see http/metrics.ts). These names
// are an interface: deploy/prometheus/alerts.yml queries them, dashboards chart them, and a
// unit test checks that every metric the alert rules use is listed here. Rename nothing
// without updating both.
//
// Lookup latency is a *seconds* histogram (Prometheus base units), so the documented name is
// `ron_dht_lookup_seconds` (kept in place of a `ron_dht_lookup_ms`); p95 is
// `histogram_quantile(0.95, sum by (job, instance, le) (rate(ron_dht_lookup_seconds_bucket[5m])))`.

/** Histogram, seconds, labels {op, result}: lookups this node ran (client API, provide). */
export const LOOKUP_SECONDS = 'ron_dht_lookup_seconds'
/** Histogram, hops, label {op}: hop count of successful lookups. */
export const HOPS = 'ron_dht_hops'
/** Gauge: bootstrap peers that answered recently. */
export const BOOTSTRAP_PEERS = 'ron_dht_bootstrap_peers'
/** Gauge: lookups in flight. */
export const INFLIGHT_LOOKUP = 'ron_dht_inflight_lookup'
/** Gauge: contacts in the routing table. */
export const ROUTING_TABLE_PEERS = 'ron_dht_routing_table_peers'
/**
 * Gauge: copies of provider records missing to reach their replication target, summed over the
 * records at their last measurement (replicas, repair, verified provide). 0 when every record
 * measured had its target.
 */
export const MISSING_RECORDS = 'ron_dht_missing_records'
/** Gauge: records whose last measurement saw fewer copies than the target (rf_observed < rf_target). */
export const RECORDS_BELOW_RF_TARGET = 'ron_dht_records_below_rf_target'
/** Gauge 0/1: 1 while /readyz answers 200. The not-ready alert watches it. */
export const READY = 'ron_dht_ready'
/** Counter, label {reason}: requests, frames and admin calls refused. */
export const REJECTED_TOTAL = 'rejected_total'
/** Counter, labels {op, result}: requests handled (inbound RPCs and client API). */
export const REQUESTS_TOTAL = 'requests_total'
/** Histogram, seconds, label {op}: time to handle one request. */
export const REQUEST_LATENCY_SECONDS = 'request_latency_seconds'
/**
 * Counter: restarts of the service. A process cannot see its own crash, so this counts what the
 * process can see (service restarts inside the process, or restarts carried over from the data
 * dir). The restart-burst alert also watches PROCESS_START_TIME_SECONDS, which changes on every
 * process start.
 */
export const SERVICE_RESTARTS_TOTAL = 'service_restarts_total'
/**
 * Counter: kad requests (streams) refused while REQUIRE_PQ_ON because their peer had not
 * completed PQ authentication. Nothing else moves it.
 */
export const PQ_DOWNGRADE_ATTEMPT_TOTAL = 'pq_downgrade_attempt_total'
/** Counter, label {outcome}: PQ challenges this node ran (ok, unsupported, timeout, bad-signature, pin-mismatch, ...). */
export const PQ_HANDSHAKES_TOTAL = 'ron_dht_pq_handshakes_total'
/** Histogram, seconds: one PQ challenge (stream open, both frames, verification). */
export const PQ_HANDSHAKE_SECONDS = 'ron_dht_pq_handshake_seconds'
/** Gauge 0/1: REQUIRE_PQ_ON in force now. */
export const PQ_REQUIRED = 'ron_dht_pq_required'
/** Gauge: peers PQ-authenticated on an open connection. */
export const PQ_AUTHENTICATED_PEERS = 'ron_dht_pq_authenticated_peers'
/** Histogram: copies of a provider record observed among the k closest peers, one sample per measurement. */
export const RF_OBSERVED = 'ron_dht_rf_observed'
/** Counter: subscribers of the event tail dropped because they read too slowly. */
export const EVENT_SUBSCRIBERS_DROPPED_TOTAL = 'ron_dht_event_subscribers_dropped_total'
/** Gauge = 1, labels {version, commit}. */
export const BUILD_INFO = 'build_info'
/** Counter: bootstrap rounds that gave up (logged as BootstrapTimeout); the node keeps trying. */
export const BOOTSTRAP_ROUNDS_FAILED_TOTAL = 'ron_dht_bootstrap_rounds_failed_total'
/** Counter: SIGHUP reloads refused because the new config was invalid (last good kept). */
export const CONFIG_RELOAD_FAILED_TOTAL = 'ron_dht_config_reload_failed_total'
/** Gauge, bytes: kad frame bytes buffered for remote peers (all streams, both directions). */
export const INBOUND_BUFFERED_BYTES = 'ron_dht_inbound_buffered_bytes'
/** Counter, label {path}: inbound kad streams by how they were negotiated ("fast" or "libp2p"). */
export const INBOUND_STREAMS_TOTAL = 'ron_dht_inbound_streams_total'
/** Gauge, bytes: what the contact book holds (peer ids and addresses learned from peers). */
export const CONTACT_BOOK_BYTES = 'ron_dht_contact_book_bytes'
/** Gauge, label {name}: the per-peer budgets the running node enforces (docs/LIMITS.md). */
export const LIMIT = 'ron_dht_limit'
/** Gauge: connections open, and the most any one peer or one IP holds. Label {scope}. */
export const CONNECTIONS = 'ron_dht_connections'
/**
 * Gauge, unix seconds: prom-client's default process metric (collectDefaultMetrics). Listed
 * because the restart-burst alert counts its changes.
 */
export const PROCESS_START_TIME_SECONDS = 'process_start_time_seconds'

/** Every name above, for tests and for checking the alert rules. */
export const ALL_METRIC_NAMES: readonly string[] = [
  LOOKUP_SECONDS,
  HOPS,
  BOOTSTRAP_PEERS,
  INFLIGHT_LOOKUP,
  ROUTING_TABLE_PEERS,
  MISSING_RECORDS,
  RECORDS_BELOW_RF_TARGET,
  READY,
  REJECTED_TOTAL,
  REQUESTS_TOTAL,
  REQUEST_LATENCY_SECONDS,
  SERVICE_RESTARTS_TOTAL,
  PQ_DOWNGRADE_ATTEMPT_TOTAL,
  PQ_HANDSHAKES_TOTAL,
  PQ_HANDSHAKE_SECONDS,
  PQ_REQUIRED,
  PQ_AUTHENTICATED_PEERS,
  RF_OBSERVED,
  EVENT_SUBSCRIBERS_DROPPED_TOTAL,
  BUILD_INFO,
  BOOTSTRAP_ROUNDS_FAILED_TOTAL,
  CONFIG_RELOAD_FAILED_TOTAL,
  INBOUND_BUFFERED_BYTES,
  INBOUND_STREAMS_TOTAL,
  CONTACT_BOOK_BYTES,
  LIMIT,
  CONNECTIONS,
  PROCESS_START_TIME_SECONDS,
]
