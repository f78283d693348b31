// The one place alert subjects are spelled. A subject names what an alert is about; one alert is
// open per (kind, subject), the webhook dispatcher orders deliveries per subject, and the MQTT
// topic ends with it, so the spelling is persisted and must not drift between rules.

/** `unit:P-017`: silence. */
export const unitSubject = (unitId: string): string => `unit:${unitId}`

/** `unit:P-017/post:station-03`: a radius breach of a unit around its post. */
export const radiusSubject = (unitId: string, postId: string): string => `unit:${unitId}/post:${postId}`

/** `unit:P-017/zone:grid-2`: a zone exit names the zone, so an exit from a unit's new zone is its own alert. */
export const zoneExitSubject = (unitId: string, zoneId: string): string => `unit:${unitId}/zone:${zoneId}`

/** `zone:grid-2`: coverage and response gaps. */
export const zoneSubject = (zoneId: string): string => `zone:${zoneId}`

/**
 * `plan:flood/checkpoint:0`: a missed checkpoint, by its index in the plan (checkpoints have no id
 * of their own). A plan is active once at a time and standing down resolves the alert, so the
 * activation need not be in the subject (it is in the alert's data).
 */
export const checkpointSubject = (planId: string, index: number): string => `plan:${planId}/checkpoint:${index}`
