// A stand-in for a deployment's own map tile service on 127.0.0.1: https (the setting accepts
// https only, as a real screen served over https needs), with a throwaway self-signed
// certificate made by the openssl CLI, answering a plain grey 256×256 PNG for any
// /tiles/{z}/{x}/{y}.png and 404 for anything else. It records the tiles asked for.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'

export interface TileServer {
  /** The URL template to configure: `https://127.0.0.1:<port>/tiles/{z}/{x}/{y}.png`. */
  template: string
  /** `z/x/y` of every tile asked for, in order. */
  requests: string[]
  stop(): Promise<void>
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A 256×256 greyscale PNG: light grey with a darker one-pixel border, so tile seams show. */
export function tilePng(): Buffer {
  const size = 256
  const rows: Buffer[] = []
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(size + 1, 0xc8)
    row[0] = 0 // filter: none
    if (y === 0) row.fill(0x90, 1)
    row[1] = 0x90
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 0 // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export async function startTileServer(): Promise<TileServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wenming-tiles-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' })
  const png = tilePng()
  const requests: string[] = []
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const m = /^\/tiles\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url ?? '')
    if (!m || req.method !== 'GET') {
      res.writeHead(404).end()
      return
    }
    requests.push(`${m[1]}/${m[2]}/${m[3]}`)
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return {
    template: `https://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`,
    requests,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => {
          rmSync(dir, { recursive: true, force: true })
          done()
        })
      }),
  }
}
