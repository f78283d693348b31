// The message catalogue: one table per language, `t(key, params)` to format, and a switch that
// re-labels every element carrying `data-i18n` (text) or `data-i18n-title` / `data-i18n-placeholder`.
import { en, type MessageKey } from './messages/en.js'
import { zhCN } from './messages/zh-CN.js'

export type Lang = 'en' | 'zh-CN'
export const LANGS: ReadonlyArray<{ id: Lang; label: string }> = [{ id: 'zh-CN', label: '中文' }, { id: 'en', label: 'English' }]
const CATALOGUE: Record<Lang, Record<MessageKey, string>> = { en, 'zh-CN': zhCN }
const STORAGE_KEY = 'hexpatrol.lang'

let lang: Lang = initialLang()
const listeners: Array<() => void> = []

function initialLang(): Lang {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'zh-CN') return saved
  return (globalThis.navigator?.language ?? '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export function currentLang(): Lang {
  return lang
}

/**
 * A configured name in the page's language: the English one (config name_en, sent as nameEn) in
 * English when there is one, else the name. Taken when the data is read, so names follow the
 * language chosen when the page loaded or the data last arrived.
 */
export function localName(name: string, nameEn: unknown): string {
  return lang === 'en' && typeof nameEn === 'string' && nameEn !== '' ? nameEn : name
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const s = CATALOGUE[lang][key] ?? en[key]
  return s.replace(/\{(\w+)\}/g, (_m, k: string) => String(params[k] ?? ''))
}

/** A catalogue entry by a key built from data (a level or incident type), or the fallback when there is none. */
export function tOr(key: string, fallback: string): string {
  return CATALOGUE[lang][key as MessageKey] ?? en[key as MessageKey] ?? fallback
}

export function setLang(l: Lang): void {
  lang = l
  globalThis.localStorage?.setItem(STORAGE_KEY, l)
  relabel(document)
  for (const f of listeners) f()
}

export function onLangChange(f: () => void): void {
  listeners.push(f)
}

/** Sets the element's text from the catalogue now and on every language switch. */
export function label<E extends HTMLElement>(el: E, key: MessageKey): E {
  el.dataset.i18n = key
  el.textContent = t(key)
  return el
}

export function relabel(root: ParentNode): void {
  document.documentElement.lang = lang
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey)
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle as MessageKey)
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder as MessageKey)
}
