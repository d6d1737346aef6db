// The node's wire layer: the kad-dht protobuf codec, stream framing, keys and peer conversion.
export * from './result.js'
export * from './message.js'
export * from './frame.js'
export * from './keys.js'
export * from './peers.js'
