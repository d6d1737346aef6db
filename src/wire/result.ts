// The result type every decoder and parser in src/wire returns. Untrusted bytes and
// strings never throw: the caller gets { ok: false, error } and counts / logs / answers 400.

export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E }

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value }
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error }
}
