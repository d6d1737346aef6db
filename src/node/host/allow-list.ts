// The allow list (tests, trusted operators): multiaddrs with an optional /ipcidr, matched as
// networks the way libp2p's connection manager matches its own `allow` — so
// `/ip4/127.0.0.0/ipcidr/8` covers every loopback address, whatever port or suffix follows.
import { IpNet } from '@chainsafe/netmask'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

/** The IP of a multiaddr, if it has one. */
export function ipOf(addr: Multiaddr): string | undefined {
  for (const c of addr.getComponents()) if (c.name === 'ip4' || c.name === 'ip6') return c.value
  return undefined
}

/** A matcher for `entries`; an entry that is not an IP multiaddr is refused with its text. */
export function allowList(entries: readonly string[]): (addr: Multiaddr) => boolean {
  const nets = entries.map((e) => {
    let ma: Multiaddr
    try {
      ma = multiaddr(e)
    } catch {
      throw new Error(`allow list: not a multiaddr: ${e}`)
    }
    const ip = ipOf(ma)
    if (ip === undefined) throw new Error(`allow list: not an IP address: ${e}`)
    const cidr = ma.getComponents().find((c) => c.name === 'ipcidr')?.value
    return new IpNet(ip, Number(cidr ?? (ip.includes(':') ? 128 : 32)))
  })
  if (nets.length === 0) return () => false
  return (addr) => {
    const ip = ipOf(addr)
    return ip !== undefined && nets.some((n) => n.contains(ip))
  }
}
