// The allow list matches networks, as libp2p's own does: a /ipcidr entry covers every address in
// it (a string-prefix match never matched a loopback dial, which arrives from 127.0.0.1:<port>).
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { allowList } from '../../src/node/host/allow-list.js'

describe('allowList', () => {
  it('matches every address inside a CIDR entry and nothing outside it', () => {
    const allowed = allowList(['/ip4/127.0.0.0/ipcidr/8', '/ip4/10.1.2.3'])
    expect(allowed(multiaddr('/ip4/127.0.0.1/tcp/53124'))).toBe(true)
    expect(allowed(multiaddr('/ip4/127.5.5.1/tcp/4001/p2p/12D3KooWGzsZ5oGvqcD5Bt3LzHzNUYk4oRB4K6WuYDx5ZuYhr6yF'))).toBe(true)
    expect(allowed(multiaddr('/ip4/10.1.2.3/tcp/1'))).toBe(true)
    expect(allowed(multiaddr('/ip4/10.1.2.4/tcp/1'))).toBe(false)
    expect(allowed(multiaddr('/ip4/128.0.0.1/tcp/1'))).toBe(false)
    expect(allowed(multiaddr('/ip6/::1/tcp/1'))).toBe(false)
  })

  it('allows nothing when empty, and refuses an entry that is not an IP address', () => {
    expect(allowList([])(multiaddr('/ip4/127.0.0.1/tcp/1'))).toBe(false)
    expect(() => allowList(['/dns4/example.com'])).toThrow('allow list: not an IP address: /dns4/example.com')
    expect(() => allowList(['not a multiaddr'])).toThrow('allow list: not a multiaddr: not a multiaddr')
  })
})
