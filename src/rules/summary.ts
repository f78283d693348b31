// The rule engine's alert summaries: the texts live in src/i18n/alert-texts.ts (English and
// Chinese, times in the configured zone); the deployment carries the ones of its locale. What is
// here is the English, UTC set and its formatters, for code and tests built without a deployment.
import { DEFAULT_ALERT_TEXTS, type AlertTexts } from '../i18n/alert-texts.js'
import { formats } from '../i18n/locale.js'

export type { AlertTexts }

const utc = formats('en', 'UTC')
export const fmtDistance = utc.distance
export const fmtClock = utc.clock
export const fmtSpan = utc.span
export const fmtPercent = (ratio: number): string => utc.percent(ratio)
export const unitLabel = DEFAULT_ALERT_TEXTS.unitLabel
export const summaries: AlertTexts = DEFAULT_ALERT_TEXTS
