// What a shaped fault's `targets: bootstrap` means on a served node: the peer ids of its
// configured bootstrap multiaddrs.
import { describe, expect, it } from 'vitest'
import { bootstrapPeerIds } from '../../src/node/serve.js'

describe('bootstrapPeerIds', () => {
  it('takes the /p2p/ id of every bootstrap multiaddr', () => {
    const id = '12D3KooWGzsZ5oGvqcD5Bt3LzHzNUYk4oRB4K6WuYDx5ZuYhr6yF'
    expect(bootstrapPeerIds([`/ip4/127.0.0.1/tcp/4001/p2p/${id}`, '/ip4/10.0.0.1/tcp/4001'])).toEqual([id])
    expect(bootstrapPeerIds([])).toEqual([])
  })
})
