// libp2p's connection monitor (a ping on every connection every pingInterval ms, aborting one
// whose ping times out) as a stack option: libp2p's default when not given, a period, or off.
import { describe, expect, it } from 'vitest'
import '../../src/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createStack } from '../../src/node/host/libp2p-node.js'

async function monitorOf(connectionMonitorMs: number | undefined): Promise<{ pingIntervalMs?: number } | undefined> {
  const stack = await createStack({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    ...(connectionMonitorMs !== undefined ? { connectionMonitorMs } : {}),
  })
  const components = (stack as unknown as { components: { connectionMonitor?: { pingIntervalMs?: number } } }).components
  try {
    return components.connectionMonitor
  } catch (e) {
    // libp2p's components throw MissingServiceError for a component that was never configured.
    if ((e as Error).name === 'MissingServiceError') return undefined
    throw e
  }
}

describe('createStack: connectionMonitorMs', () => {
  it('absent: libp2p runs its monitor every 10 s', async () => {
    expect((await monitorOf(undefined))?.pingIntervalMs).toBe(10_000)
  })
  it('a period: the monitor pings that often', async () => {
    expect((await monitorOf(2_500))?.pingIntervalMs).toBe(2_500)
  })
  it('0: no monitor at all', async () => {
    expect(await monitorOf(0)).toBeUndefined()
  })
})
