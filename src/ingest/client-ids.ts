// Which login holds which MQTT client id in the embedded broker. A client id belongs to the login
// (broker username, or anonymous) that holds it: while a connection with that id is open, or
// while a persistent session with that id exists. Another login's CONNECT with a held id is
// refused, so a device with valid credentials cannot take over another device's id (MQTT would
// disconnect the holder, and a clean CONNECT would delete its persistent session and queue). The
// same login may take its own id over (a phone reconnecting over a half-open connection). Any id
// nobody holds is free: random ids (mosquitto_pub's `mosq-…`, MQTT.js's `mqttjs_…`) and the fixed
// ids OwnTracks and terminals use all work unchanged. Pure bookkeeping: connections are opaque tokens.

interface Holder {
  login: string
  conns: Set<object>
}

export class ClientIds {
  private readonly held = new Map<string, Holder>()

  /**
   * A CONNECT of `login` with `clientId` on `conn`: false when another login holds the id, by an
   * open connection or by its persistent session (`sessionOwner`, the login that owns it, if any).
   */
  claim(clientId: string, login: string, conn: object, sessionOwner: string | undefined): boolean {
    const h = this.held.get(clientId)
    if (h !== undefined && h.login !== login) return false
    if (sessionOwner !== undefined && sessionOwner !== login) return false
    if (h === undefined) this.held.set(clientId, { login, conns: new Set([conn]) })
    else h.conns.add(conn)
    return true
  }

  /** The connection closed: the id is free once no connection of its login holds it. */
  release(clientId: string, conn: object): void {
    const h = this.held.get(clientId)
    if (h === undefined) return
    h.conns.delete(conn)
    if (h.conns.size === 0) this.held.delete(clientId)
  }
}
