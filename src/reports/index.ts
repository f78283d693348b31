// The reports stage as the engine sees it: built once from the config at start-up (time zone
// checked; the deployment as compiled at boot), with the API's handle and the bulletin scheduler.
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { compileDeployment, type Deployment } from '../rules/deployment.js'
import type { IncidentsSetup } from '../incidents/compile.js'
import type { EventPublisher, StoredBulletin } from './bulletin-event.js'
import { bulletinEvent } from './bulletin-event.js'
import { Bulletins } from './bulletins.js'
import { checkTimeZone, type Schedule } from './periods.js'
import type { ReportQueries } from './report-queries.js'
import { BulletinRunner } from './runner.js'
import { FileScheduleState } from './schedule-state-file.js'
import type { ScheduleStateStore } from './schedule-state.js'
import { ReportService, reportSettings } from './service.js'
import type { Locale } from '../i18n/locale.js'

/** What the reports API needs. */
export interface ReportsApi {
  service: ReportService
  bulletins: Bulletins
  schedule: Schedule
  baseUrl: string | undefined
  /** The language of the pages, CSV headers and chat digests (config locale). */
  locale: Locale
  /** Delivers a regenerated bulletin again (a new event id per generation). */
  redeliver(b: StoredBulletin): void
}

export interface Reports { api: ReportsApi; runner: BulletinRunner }

export function scheduleOf(config: Config): Schedule {
  checkTimeZone(config.reports.timezone)
  return { timezone: config.reports.timezone, dailyAt: config.reports.daily_at, weeklyOn: config.reports.weekly_on }
}

/**
 * `publisher`: the delivery stage's publish path; without one, bulletins are stored but not sent.
 * `state`: where the schedule's progress is kept (default <dataDir>/reports/state.json; cluster
 * mode passes the shared KV store); `settled`: resolves once an event's delivery settled (cluster
 * mode: a period is done only then, so a takeover redelivers what a dead engine's outbox held).
 * `compiled`: the deployment and incidents setup compiled at boot (compiled here when a tool or test
 * gives none).
 */
export function createReports(o: { config: Config; queries: ReportQueries; dataDir: string; publisher?: EventPublisher | undefined; logger: Logger; now: () => number; compiled?: { deployment: Deployment; incidents: IncidentsSetup }; state?: ScheduleStateStore; settled?: (eventId: string) => Promise<void> }): Reports {
  const schedule = scheduleOf(o.config)
  const settings = o.compiled === undefined ? reportSettings(o.config, compileDeployment(o.config)) : reportSettings(o.config, o.compiled.deployment, o.compiled.incidents)
  const service = new ReportService(o.queries, settings, o.now)
  const bulletins = new Bulletins(o.queries, service)
  const publisher = o.publisher
  const baseUrl = o.config.reports.base_url
  const locale = o.config.locale
  const state = o.state ?? new FileScheduleState(join(o.dataDir, 'reports'), o.logger)
  const runner = new BulletinRunner({ state, schedule, bulletins, publisher, settled: o.settled, baseUrl, locale, logger: o.logger, now: o.now })
  return {
    runner,
    api: {
      service,
      bulletins,
      schedule,
      baseUrl,
      locale,
      redeliver(b) {
        const e = bulletinEvent(b, baseUrl, locale)
        publisher?.publishEvent({ ...e, id: `${e.id}.${b.generatedAt}` })
      },
    },
  }
}
