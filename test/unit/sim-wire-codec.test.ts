// The node's wire codec inside the simulator: what a message is on the wire (bytes per type),
// that the receiver gets exactly what was sent, and that a run with the codec on is the same run
// as without it, plus a byte count.
import { describe, expect, it } from 'vitest'
import type { Contact, Request, Response } from '../../src/engine/types.js'
import { multiaddrBytes, SimWireCodec } from '../../src/sim/wire-codec.js'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { renderJson } from '../../src/report/files.js'

const contact = (i: number): Contact => ({ id: new Uint8Array(32).fill(i), peer: `p${i}`, addrs: [`10.0.${i}.1:4001`], ipGroup: `10.0.${i}` })

describe('SimWireCodec', () => {
  it('frames a FIND_NODE request as the protobuf spec says: 1-byte prefix, type (2), key (2 + 32)', () => {
    const c = new SimWireCodec()
    const key = new Uint8Array(32).fill(7)
    const req: Request = { kind: 'request', rpcId: 5, type: 'FIND_NODE', key, target: key, providers: [] }
    const out = c.roundTrip(0, 1, req) as Request
    expect(out.key).toEqual(key)
    expect(out.rpcId).toBe(5)
    expect(c.section().by_type).toEqual([{ type: 'FIND_NODE', direction: 'request', messages: 1, bytes: 37, resets: 0 }])
  })

  it('an answer echoes the request key and carries 38-byte peer ids with one 8-byte /ip4/tcp address each', () => {
    const c = new SimWireCodec()
    const key = new Uint8Array(32).fill(9)
    c.roundTrip(0, 1, { kind: 'request', rpcId: 1, type: 'FIND_NODE', key, target: key, providers: [] })
    const closer = [contact(2), contact(3)]
    const res: Response = { kind: 'response', rpcId: 1, type: 'FIND_NODE', closer, providers: [] }
    const out = c.roundTrip(1, 0, res) as Response
    // The receiver gets the very contacts that went in, after they were decoded from the bytes.
    expect(out.closer).toHaveLength(2)
    expect(out.closer[0]).toBe(closer[0])
    // peer: tag 1 + len 1 + id (1 + 1 + 38) + addr (1 + 1 + 8) = 52 each; message: type 2 + key 34 + 2 peers 104 = 140; prefix 2 (140 > 127).
    const row = c.section().by_type.find((r) => r.direction === 'response')!
    expect(row).toEqual({ type: 'FIND_NODE', direction: 'response', messages: 1, bytes: 142, resets: 0 })
  })

  it('an error answer is a stream reset (no frame); an ADD_PROVIDER has no answer frame', () => {
    const c = new SimWireCodec()
    const key = new Uint8Array(32)
    c.roundTrip(0, 1, { kind: 'request', rpcId: 2, type: 'GET_PROVIDERS', key, target: key, providers: [] })
    c.roundTrip(1, 0, { kind: 'response', rpcId: 2, type: 'GET_PROVIDERS', closer: [], providers: [], error: 'rate-limited' })
    c.roundTrip(0, 1, { kind: 'request', rpcId: 3, type: 'ADD_PROVIDER', key, target: key, providers: [contact(0)] })
    c.roundTrip(1, 0, { kind: 'response', rpcId: 3, type: 'ADD_PROVIDER', closer: [], providers: [] })
    const s = c.section()
    expect(s.by_type.find((r) => r.type === 'GET_PROVIDERS' && r.direction === 'response')).toMatchObject({ messages: 0, bytes: 0, resets: 1 })
    expect(s.by_type.find((r) => r.type === 'ADD_PROVIDER' && r.direction === 'response')).toBeUndefined()
    expect(s.by_type.find((r) => r.type === 'ADD_PROVIDER' && r.direction === 'request')!.bytes).toBeGreaterThan(37 + 50)
  })

  it('addresses become binary /ip4/…/tcp/… multiaddrs', () => {
    expect([...multiaddrBytes('10.1.2.3:4001')]).toEqual([0x04, 10, 1, 2, 3, 0x06, 0x0f, 0xa1])
    expect(() => multiaddrBytes('nope')).toThrow(/not ip:port/)
  })
})

const SMALL = `
name: codec-small
seed: 3
duration_s: 90
warmup_s: 30
network:
  peers: 60
  bootstraps: 2
  join_spread_s: 15
  loss: 0.01
churn:
  turnover_per_hour: 2
  downtime_mean_s: 20
workload:
  find_node_per_s: 3
  provide_per_s: 1
  get_providers_per_s: 2
metrics:
  window_s: 30
`

describe('network.wire_codec in a run', () => {
  const run = (codec: boolean) =>
    runScenario(parseScenarioText(codec ? SMALL.replace('loss: 0.01', 'loss: 0.01\n  wire_codec: true') : SMALL, 'codec-small.yaml'), { scenarioPath: 'codec-small.yaml', toolVersion: 'test' })

  it('is off by default: no wire section', () => {
    expect(run(false).wire).toBeUndefined()
  })

  it('changes no metric, counts bytes per message type, and is deterministic', () => {
    const off = run(false)
    const on = run(true)
    expect(on.metrics).toEqual(off.metrics)
    const w = on.wire!
    expect(w.messages).toBeGreaterThan(1000)
    const types = w.by_type.map((r) => `${r.type} ${r.direction}`)
    expect(types).toEqual(expect.arrayContaining(['FIND_NODE request', 'FIND_NODE response', 'GET_PROVIDERS request', 'ADD_PROVIDER request']))
    // A FIND_NODE answer carries up to k peers of ~50 bytes: far more bytes per message than its request.
    const req = w.by_type.find((r) => r.type === 'FIND_NODE' && r.direction === 'request')!
    const res = w.by_type.find((r) => r.type === 'FIND_NODE' && r.direction === 'response')!
    expect(res.bytes / res.messages).toBeGreaterThan(5 * (req.bytes / req.messages))
    expect(renderJson(run(true))).toBe(renderJson(on))
  })
})
