#!/bin/sh
# Adds or updates one login in the Mosquitto password file (hashed by mosquitto_passwd).
#   add-user.sh                       -> hexpatrol / $HEXPATROL_MQTT_PASSWORD (the engine's login)
#   add-user.sh <username> <password> -> a device (username = unit id, matched by %u in the ACL)
# Run inside the eclipse-mosquitto image via `docker compose run --rm mosquitto-passwd [...]`.
set -eu
file="${MOSQUITTO_PASSWD_FILE:-/mosquitto/config/passwd}"
if [ "$#" -eq 0 ]; then
  set -- hexpatrol "${HEXPATROL_MQTT_PASSWORD:?HEXPATROL_MQTT_PASSWORD is not set}"
fi
if [ "$#" -ne 2 ]; then
  echo "usage: add-user.sh [<username> <password>]" >&2
  exit 64
fi
# mosquitto_passwd -b needs an existing file; an empty one is fine.
[ -f "$file" ] || : > "$file"
mosquitto_passwd -b "$file" "$1" "$2"
# The broker runs as uid 1883 (mosquitto) and must read the file; nobody else should.
if [ "$(id -u)" = "0" ]; then chown 1883:1883 "$file"; fi
chmod 0600 "$file"
echo "mosquitto: login '$1' written to $file"
