// Plan and checkpoint names in the page's language. The engine names plans and checkpoints in its
// locale (events, alerts, webhooks, bulletins); GET /plans and GET /plans/{id} also send the
// configured English name (nameEn), as units, posts and zones do. These helpers read both and pick
// by the page's language when a view draws (so a language switch relabels at once), and look a
// name carried by an alert up among the plan's known checkpoints: only one still called what the
// alert says is taken, so a plan changed at run time never lends an alert a wrong name.
import { localName } from './i18n.js'

/** A name as the engine sent it (engine locale) and the configured English one, if any. */
export interface Named { name: string; nameEn: string | null }

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/** The names of an API object (plan, checkpoint) with `name` / `nameEn`; `fallback` for a missing name. */
export function named(raw: Record<string, unknown>, fallback: string): Named {
  return { name: str(raw.name) ?? fallback, nameEn: str(raw.nameEn) }
}

/** The name in the page's language. */
export function local(n: Named): string {
  return localName(n.name, n.nameEn)
}

/**
 * The page-language name of the first candidate called `given` (the engine-locale name an alert
 * carries; null: the alert names none, any candidate will do); undefined when none matches.
 */
export function localIfSame(candidates: ReadonlyArray<Named | undefined>, given: string | null): string | undefined {
  const hit = candidates.find((c) => c !== undefined && (given === null || c.name === given))
  return hit === undefined ? undefined : local(hit)
}
