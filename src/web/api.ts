// The page's only way to the engine: same-origin fetches with the session cookie. State-changing
// requests send `content-type: application/json` (the API's CSRF guard for cookie sessions).
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

let onUnauthorized: () => void = () => undefined

export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } }
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  const res = await fetch(path, init)
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let json: unknown = null
  try {
    json = text === '' ? null : JSON.parse(text)
  } catch {
    json = null
  }
  if (!res.ok) {
    const e = (json ?? {}) as { code?: string; message?: string }
    if (res.status === 401 && !path.endsWith('/session')) onUnauthorized()
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText)
  }
  return json as T
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown = {}) => request<T>('PUT', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
}

export interface Session { name: string; scope: 'read' | 'operate' | 'admin'; expiresAt?: number }

const RANK = { read: 0, operate: 1, admin: 2 } as const
export function canOperate(s: Session | null): boolean {
  return s !== null && (RANK[s.scope] ?? 0) >= RANK.operate
}
