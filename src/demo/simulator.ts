// Demo mode's device side: one MQTT login per simulated unit on the engine's embedded broker (the
// real ingest path: authentication, ACL, decode, journal, rules), publishing the script's fixes once
// a second, and the scripted incident through the HTTP API (POST /api/v1/incidents, then the scene
// plan's activation) with the demo's own token. Every publish is QoS 1; a failure is logged, never
// fatal: the demo is a show, the engine's own behaviour is what is on display.
import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { DEMO_PLAN_ID } from './overlay.js'
import type { DemoScript } from './script.js'

export interface SimulatorOptions {
  script: DemoScript
  mqttUrl: string
  httpUrl: string
  /** API token for the incident (operate scope); null: the incident is skipped. */
  token: string | null
  passwords: ReadonlyMap<string, string>
  logger: Logger
  now?: () => number
  tickMs?: number
}

export class DemoSimulator {
  readonly #o: SimulatorOptions
  readonly #now: () => number
  readonly #clients = new Map<string, MqttClient>()
  #timer: NodeJS.Timeout | undefined
  #startMs = 0
  #incidentDone = false
  #failures = 0
  /** Messages published and acknowledged. */
  published = 0

  constructor(o: SimulatorOptions) {
    this.#o = o
    this.#now = o.now ?? Date.now
  }

  async start(): Promise<void> {
    const { script, passwords, mqttUrl } = this.#o
    await Promise.all(script.units.map(async (unit) => {
      const client = await mqtt.connectAsync(mqttUrl, { username: unit, password: passwords.get(unit) ?? '', clientId: `demo-${unit}`, reconnectPeriod: 1000 })
      client.on('error', (err) => this.#fail(`MQTT client of ${unit}`, err))
      this.#clients.set(unit, client)
    }))
    this.#startMs = this.#now()
    this.#o.logger.warn({ units: script.units.length, events: script.events }, 'Demo mode: the simulator is publishing the fleet. Every position, alert and incident from now on is SIMULATED.')
    this.#timer = setInterval(() => { void this.tick() }, this.#o.tickMs ?? 1000)
  }

  /** One step: every fix now due, and the incident when its time has come. */
  async tick(): Promise<void> {
    const elapsedS = (this.#now() - this.#startMs) / 1000
    const sent = this.#o.script.messages(elapsedS, this.#startMs).map(async (m) => {
      try {
        await this.#clients.get(m.unit)?.publishAsync(m.topic, m.payload, { qos: 1 })
        this.published++
      } catch (err) {
        this.#fail(`publish of ${m.unit}`, err)
      }
    })
    const incident = this.#o.script.incident
    if (incident !== null && this.#o.token !== null && !this.#incidentDone && elapsedS >= incident.atS) {
      this.#incidentDone = true
      sent.push(this.#reportIncident(incident.lat, incident.lon))
    }
    await Promise.all(sent)
  }

  async #reportIncident(lat: number, lon: number): Promise<void> {
    const id = `DEMO-${this.#startMs}`
    try {
      await this.#post('/api/v1/incidents', { id, type: 'robbery', priority: 1, lat, lon, address: 'Demo scene (simulated)', description: 'Simulated incident: hexpatrol demo mode.' })
      await this.#post(`/api/v1/plans/${DEMO_PLAN_ID}/activate`, { incident_id: id })
      this.#o.logger.info({ incident: id, plan: DEMO_PLAN_ID }, 'Demo mode: simulated incident reported and its plan activated.')
    } catch (err) {
      this.#fail('the simulated incident', err)
    }
  }

  async #post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${this.#o.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${this.#o.token ?? ''}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
  }

  #fail(what: string, err: unknown): void {
    // At most a few lines: a stopped broker would otherwise log every fix.
    if (++this.#failures <= 5) this.#o.logger.warn({ err }, `Demo mode: ${what} failed.`)
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await Promise.all([...this.#clients.values()].map((c) => c.endAsync(true)))
    this.#clients.clear()
  }
}
