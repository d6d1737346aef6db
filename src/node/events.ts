// The node's event tail: a bounded ring of recent events and live subscribers.
//
// Theory of operation: the node emits small JSON-able events by topic (lookup, peer, reject,
// ready, config, admin, pq, security, repair). The bus keeps the last `capacity` events in a
// ring (a late reader can ask for them) and hands each new one to every subscriber whose topic
// filter matches. A subscriber owns a bounded queue: its `push` returns false when it cannot
// keep up, and the bus then drops that subscriber (it is told why) — never the node's memory.
// Events are numbered; a reader can tell from a gap in `seq` that it missed some.

export const EVENT_TOPICS = ['lookup', 'peer', 'reject', 'ready', 'config', 'admin', 'pq', 'security', 'repair'] as const
export type EventTopic = (typeof EVENT_TOPICS)[number]

export interface NodeEvent {
  readonly seq: number
  readonly ts: string
  readonly topic: string
  readonly [k: string]: unknown
}

export interface Subscriber {
  /** Topics wanted; empty means all. */
  readonly topics: ReadonlySet<string>
  /** Delivers one event; false when the subscriber's buffer is full (it is then dropped). */
  push(e: NodeEvent): boolean
  /** Called once when the bus drops the subscriber. */
  dropped(reason: string): void
}

export class EventBus {
  private readonly ring: (NodeEvent | undefined)[]
  private next = 0
  private seq = 0
  private readonly subs = new Set<Subscriber>()
  /** Called when a slow subscriber is dropped (metrics). */
  onDrop: (() => void) | undefined

  constructor(readonly capacity = 1024) {
    this.ring = new Array<NodeEvent | undefined>(capacity)
  }

  get subscribers(): number {
    return this.subs.size
  }

  emit(topic: EventTopic, data: Record<string, unknown>): void {
    const e: NodeEvent = { ...data, seq: ++this.seq, ts: new Date().toISOString(), topic }
    this.ring[this.next] = e
    this.next = (this.next + 1) % this.capacity
    for (const s of [...this.subs]) {
      if (s.topics.size > 0 && !s.topics.has(topic)) continue
      if (!s.push(e)) this.drop(s, 'slow reader: buffer full')
    }
  }

  /** The last `n` events (oldest first) matching `topics` (empty: all). */
  recent(n: number, topics: ReadonlySet<string> = new Set()): NodeEvent[] {
    const out: NodeEvent[] = []
    for (let i = 1; i <= this.capacity && out.length < n; i++) {
      const e = this.ring[(this.next - i + this.capacity) % this.capacity]
      if (e === undefined) break
      if (topics.size === 0 || topics.has(e.topic)) out.push(e)
    }
    return out.reverse()
  }

  subscribe(s: Subscriber): () => void {
    this.subs.add(s)
    return () => {
      this.subs.delete(s)
    }
  }

  private drop(s: Subscriber, reason: string): void {
    if (!this.subs.delete(s)) return
    this.onDrop?.()
    s.dropped(reason)
  }

  /** Ends every subscription (drain). */
  close(): void {
    for (const s of [...this.subs]) {
      this.subs.delete(s)
      s.dropped('node stopping')
    }
  }
}

/** Parses a topic filter ("pq,security"); throws a one-line message naming a bad topic. */
export function parseTopics(text: string | null | undefined): Set<string> {
  const out = new Set<string>()
  if (text === null || text === undefined || text === '') return out
  for (const t of text.split(',')) {
    const topic = t.trim()
    if (topic === '') continue
    if (!(EVENT_TOPICS as readonly string[]).includes(topic)) throw new Error(`unknown topic "${topic}" (topics: ${EVENT_TOPICS.join(', ')})`)
    out.add(topic)
  }
  return out
}
