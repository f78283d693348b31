// The import check (`npm run depcheck`, part of `npm test`): no circular import anywhere in src/,
// and no import from a lower layer to a higher one. Layers follow the data flow, lowest first;
// a module may import its own layer and the layers below it.
/** @type {Array<{ name: string, path: string, what: string }>} */
const LAYERS = [
  { name: 'base', path: '^src/((errors|private-files|min-heap|instance-id|process-errors|within)[.]ts$|(net|geo|telemetry|wire|i18n)/)', what: 'low utilities: errors, private files, heap, bounded waits, addresses, geometry, logging and metrics, wire shapes, texts for people in each locale' },
  { name: 'config', path: '^src/config/', what: 'defines, loads, checks and freezes the configuration; knows no stage' },
  { name: 'decode', path: '^src/decode/', what: 'payload formats, topic routing and filters → typed Fix' },
  { name: 'integrity', path: '^src/integrity/', what: 'patrol integrity detectors (mock location, phone in a car, frozen or replayed tracks, stationary time): pure, fed fixes' },
  { name: 'rules', path: '^src/(rules|state)/', what: 'the rule engine (pure, clocked), its deployment and its saved state' },
  { name: 'delivery', path: '^src/delivery/', what: 'outbound events: outbox, webhooks, MQTT publication' },
  { name: 'incidents', path: '^src/incidents/', what: 'incidents, hotspots, patrol levels, plans' },
  { name: 'patrol-tasks', path: '^src/patrol-tasks/', what: 'make-up patrols: overdue cells → proposals → tasks tracked to completion' },
  { name: 'journal', path: '^src/journal/', what: 'the durable log and its record format (fixes, alerts, incidents, audit rows)' },
  { name: 'log', path: '^src/(log|cluster)/', what: 'cluster mode: the log interface (journal or NATS JetStream), partitions, leases' },
  { name: 'ingest', path: '^src/ingest/', what: 'MQTT, the embedded broker, HTTP ingest, JT/T 808: decode → journal → rules' },
  { name: 'reports', path: '^src/reports/', what: 'bulletins and reports' },
  { name: 'api', path: '^src/api/', what: 'the HTTP API' },
  { name: 'store', path: '^src/store/', what: 'ClickHouse: implements the storage the stages ask for; only the composition root imports it' },
  { name: 'demo', path: '^src/demo/', what: 'demo mode: the scripted fleet, its overlay and guard, the simulator publishing through the real ingest path' },
  { name: 'top', path: '^src/(boot|engine|cli|main)[.]ts$', what: 'start-up (boot.ts compiles the config for the stages), the composition root, the CLI' },
]

const higher = (i) => LAYERS.slice(i + 1).map((l) => l.path)

// No exceptions: a stage that needs something from a higher one gets it passed in from above (the
// composition root), or the shared type or pure helper moves down to the layer that owns it.
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} (${layer.what}) must not import a higher layer: ${LAYERS.slice(i + 1).map((l) => l.name).join(', ')}. Move the shared type or pure helper down to the layer that owns it, or pass it in from above.`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: higher(i) },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A circular import (type-only ones included): move what both sides need to the lower one.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'web-is-a-bundle',
      comment: 'src/web/ is the browser bundle: it imports only src/web/ (and type-only wire shapes from src/wire/ or src/api/).',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/', pathNot: '^src/(web|api|wire)/' },
    },
    {
      name: 'web-wire-shapes-type-only',
      comment: 'The bundle may take wire shapes from src/wire/ or src/api/ only as type-only imports.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/(api|wire)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-web',
      comment: 'The server serves the built bundle as files; no server module imports src/web/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/web/' },
      to: { path: '^src/web/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
