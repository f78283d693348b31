// The outbound event shape the delivery stage sends (CONTRACTS.md, owner: edge). Declared here so
// the incidents stage compiles on its own; structurally identical to the dispatcher's type.
export interface OutboundEvent {
  /** Stable and deterministic: the webhook-id derives from it. */
  id: string
  type: string
  at: number
  data: Record<string, unknown>
  /** One-liner for chat formats and logs. */
  summary: string
  /** Orders deliveries per subject. */
  subject: string
}
