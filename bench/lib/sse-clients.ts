// Child process for bench/stream.ts: opens N live-stream connections and reads them as fast as
// it can, then prints how many events and bytes arrived. argv: url token n seconds
import { request } from 'node:http'

const [url, token, n, seconds] = process.argv.slice(2) as [string, string, string, string]
let events = 0
let bytes = 0
let open = 0
for (let i = 0; i < Number(n); i++) {
  request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
    open++
    res.setEncoding('utf8')
    res.on('data', (c: string) => {
      bytes += c.length
      for (let j = c.indexOf('\nevent: '); j !== -1; j = c.indexOf('\nevent: ', j + 1)) events++
    })
  }).end()
}
const ready = setInterval(() => {
  if (open === Number(n)) {
    clearInterval(ready)
    console.log(JSON.stringify({ ready: true }))
  }
}, 20)
setTimeout(() => {
  console.log(JSON.stringify({ open, events, bytes }))
  process.exit(0)
}, Number(seconds) * 1000)
