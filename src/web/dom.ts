// Tiny DOM helpers: element creation without innerHTML (no markup from data ever reaches the page).
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') el.className = v
    else el.setAttribute(k, v)
  }
  for (const c of children) el.append(c)
  return el
}

/**
 * Leaflet content (tooltips, popups) as text, never markup: Leaflet sets a string as innerHTML,
 * an element as itself. Unit, post and zone names come from the config, addresses from outside.
 */
export function textEl(s: string): HTMLElement {
  const el = document.createElement('span')
  el.textContent = s
  return el
}

/** For the one place Leaflet takes only markup (the attribution control): the text, escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function clear(el: Element): void {
  while (el.firstChild !== null) el.firstChild.remove()
}

export function fmtTime(ms: number | null): string {
  if (ms === null) return '—'
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}
