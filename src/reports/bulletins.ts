// Stored bulletins: generate a period's report and store it as a new generation, read the
// newest generation back, list what exists. Every generation is kept (a regeneration never
// overwrites what was delivered).
import type { Report } from './model.js'
import type { Period } from './periods.js'
import type { BulletinListing, ReportQueries } from './report-queries.js'
import type { StoredBulletin } from './bulletin-event.js'
import type { ReportService } from './service.js'

export class Bulletins {
  constructor(private readonly queries: ReportQueries, private readonly reports: ReportService) {}

  async generate(p: Period): Promise<StoredBulletin> {
    const report = await this.reports.report({ kind: p.kind, period: p.period, from: p.from, to: p.to })
    await this.queries.insertBulletin({ kind: p.kind, period: p.period, period_from: p.from, period_to: p.to, generated_at: report.generatedAt, timezone: report.timezone, body: JSON.stringify(report) })
    return { kind: p.kind, period: p.period, generatedAt: report.generatedAt, report }
  }

  async get(kind: Period['kind'], period: string): Promise<StoredBulletin | null> {
    const row = await this.queries.getBulletin({ kind, period })
    return row === null ? null : { kind, period, generatedAt: Number(row.generated_at), report: JSON.parse(row.body) as Report }
  }

  /** The stored bulletin, generated first when there is none. */
  async ensure(p: Period): Promise<StoredBulletin> {
    return (await this.get(p.kind, p.period)) ?? this.generate(p)
  }

  list(kind: Period['kind'] | undefined, limit: number): Promise<BulletinListing[]> {
    return this.queries.listBulletins({ ...(kind === undefined ? {} : { kind }), limit })
  }
}
