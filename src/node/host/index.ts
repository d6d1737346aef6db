// The node's libp2p host: stack, engine driver, contacts, frames, persistence.
export * from './contacts.js'
export * from './frame-reader.js'
export * from './kad-host.js'
export * from './libp2p-node.js'
export * from './persist.js'
export { sendRpc, closeQuietly, CODE_TYPE, TYPE_CODE, type RpcContext } from './rpc-io.js'
