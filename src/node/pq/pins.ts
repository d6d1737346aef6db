// Trust on first use for PQ keys: the first ML-DSA-87 key a peer id proves is pinned, and a
// later proof with another key is refused (and logged as a security event) until an operator
// removes the pin (edits the pin file while the node is stopped). Bounded: past `maxPins` the pin
// least recently matched is forgotten, so a flood of fresh identities pushes out idle pins, never
// the peers we keep talking to. Persisted as JSON in the state dir when the node may write
// (amnesia off).
import { readFile } from 'node:fs/promises'
import { atomicWrite } from '../host/persist.js'

export const PQ_PINS_FILE = 'pq-pins.json'
export const MAX_PINS = 50_000

export type PinVerdict = 'pinned-now' | 'match' | 'mismatch'

export class PinStore {
  private readonly pins = new Map<string, string>()
  private dirty = false

  constructor(private readonly maxPins = MAX_PINS) {}

  get size(): number {
    return this.pins.size
  }

  get(peer: string): string | undefined {
    return this.pins.get(peer)
  }

  /** Checks `fingerprint` against the pin of `peer`, pinning it on first sight. */
  check(peer: string, fingerprint: string): PinVerdict {
    const known = this.pins.get(peer)
    if (known === undefined) {
      if (this.pins.size >= this.maxPins) {
        const idlest = this.pins.keys().next()
        if (!idlest.done) this.pins.delete(idlest.value)
      }
      this.pins.set(peer, fingerprint)
      this.dirty = true
      return 'pinned-now'
    }
    if (known !== fingerprint) return 'mismatch'
    // Most recently matched last: the Map's first key is the one to forget when full.
    this.pins.delete(peer)
    this.pins.set(peer, known)
    return 'match'
  }

  /** Loads the pin file; a damaged one starts empty and `onDamaged` says why. */
  async load(file: string, onDamaged?: (why: string) => void): Promise<number> {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      return 0
    }
    try {
      const j = JSON.parse(text) as { pins?: Record<string, unknown> }
      for (const [peer, fp] of Object.entries(j.pins ?? {})) {
        if (typeof fp === 'string' && /^[0-9a-f]{64}$/.test(fp) && this.pins.size < this.maxPins) this.pins.set(peer, fp)
      }
    } catch (e) {
      // Pins are re-learned on first use; a changed key is then accepted once, hence the warning.
      onDamaged?.((e as Error).message)
    }
    return this.pins.size
  }

  async save(file: string): Promise<boolean> {
    if (!this.dirty) return false
    const pins: Record<string, string> = {}
    for (const [peer, fp] of this.pins) pins[peer] = fp
    await atomicWrite(file, JSON.stringify({ version: 1, pins }))
    this.dirty = false
    return true
  }
}
