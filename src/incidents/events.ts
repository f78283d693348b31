// The outbound event shape the delivery stage sends (CONTRACTS.md; owner: src/alerts/outbound-event.ts).
export type { OutboundEvent } from '../delivery/outbound-event.js'
