// A fake WeChat for the phone app's in-WeChat sign-in, on 127.0.0.1, written from WeChat's
// web-authorization (网页授权) documentation: the authorize page a browser is sent to
// (`/connect/oauth2/authorize`: the app id, `response_type=code`, `scope=snsapi_base` and an
// https-or-loopback `redirect_uri` checked; it sends the browser back to `redirect_uri` with a
// one-time `code` and the `state` unchanged, as WeChat does for the follower who opened it), and
// `/sns/oauth2/access_token` the server exchanges the code at (app id, secret and
// `grant_type=authorization_code` checked; a code works once, for five minutes; the snapshot
// page's virtual user is marked `is_snapshotuser: 1`). For the JS-SDK: the stable access token
// (`POST /cgi-bin/stable_token`: grant type, app id and secret checked) and the `jsapi` ticket
// (`GET /cgi-bin/ticket/getticket`: the token in force and `type=jsapi` checked), whose value a
// journey's stand-in `wx.config` checks the page's signature against, as WeChat's client does.

import { createServer, type Server } from 'node:http'

interface Grant {
  openid: string
  snapshot: boolean
  issued: number
  used: boolean
}

export interface FakeWeChat {
  url: string
  appId: string
  appSecret: string
  /** The product's variables pointing at this fake. */
  variables(): Record<string, string>
  /** Who opens the authorize page next: their openid, or the snapshot page's virtual user. */
  openedBy(openid: string, snapshot?: boolean): void
  /** Every exchange the server made: the codes it sent. */
  exchanges: string[]
  /** The `jsapi` ticket last issued (empty before the server asked). */
  ticket(): string
  stop(): Promise<void>
}

const CODE_LIFETIME_MS = 5 * 60_000

export async function startFakeWeChat(): Promise<FakeWeChat> {
  const appId = 'wx5e1a2b3c4d5e6f70'
  const appSecret = 'fake-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0'
  const codes = new Map<string, Grant>()
  const exchanges: string[] = []
  let visitor: { openid: string; snapshot: boolean } = { openid: '', snapshot: false }
  let issued = 0
  let accessToken = ''
  let ticket = ''

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const q = url.searchParams
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method === 'GET' && url.pathname === '/connect/oauth2/authorize') {
      const redirect = q.get('redirect_uri') ?? ''
      let target: URL
      try {
        target = new URL(redirect)
      } catch {
        return json(400, { errcode: 10003, errmsg: 'redirect_uri domain mismatch' })
      }
      if (q.get('appid') !== appId) return json(400, { errcode: 10016, errmsg: 'invalid appid' })
      if (q.get('response_type') !== 'code') return json(400, { errcode: 10004, errmsg: 'invalid response_type' })
      if (q.get('scope') !== 'snsapi_base') return json(400, { errcode: 10005, errmsg: 'invalid scope' })
      if (target.protocol !== 'https:' && target.hostname !== '127.0.0.1') return json(400, { errcode: 10003, errmsg: 'redirect_uri domain mismatch' })
      if (!visitor.openid) return json(400, { errcode: -1, errmsg: 'nobody opened the page (test: call openedBy)' })
      issued += 1
      const code = `0${issued}1Kx9Zq${Date.now().toString(36)}Ab`
      codes.set(code, { openid: visitor.openid, snapshot: visitor.snapshot, issued: Date.now(), used: false })
      target.searchParams.set('code', code)
      target.searchParams.set('state', q.get('state') ?? '')
      res.writeHead(302, { location: target.toString() })
      return res.end()
    }
    if (req.method === 'GET' && url.pathname === '/sns/oauth2/access_token') {
      const code = q.get('code') ?? ''
      exchanges.push(code)
      if (q.get('grant_type') !== 'authorization_code') return json(200, { errcode: 40002, errmsg: 'invalid grant_type' })
      if (q.get('appid') !== appId) return json(200, { errcode: 40013, errmsg: 'invalid appid' })
      if (q.get('secret') !== appSecret) return json(200, { errcode: 40125, errmsg: 'invalid appsecret' })
      const grant = codes.get(code)
      if (!grant) return json(200, { errcode: 40029, errmsg: 'invalid code' })
      if (grant.used) return json(200, { errcode: 40163, errmsg: 'code been used' })
      if (Date.now() - grant.issued > CODE_LIFETIME_MS) return json(200, { errcode: 42003, errmsg: 'code expired' })
      grant.used = true
      return json(200, {
        access_token: `fake-oauth-token-${code}`,
        expires_in: 7200,
        refresh_token: `fake-oauth-refresh-${code}`,
        openid: grant.openid,
        scope: 'snsapi_base',
        ...(grant.snapshot ? { is_snapshotuser: 1 } : {}),
      })
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/stable_token') {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        let r: { grant_type?: string; appid?: string; secret?: string } = {}
        try {
          r = JSON.parse(body) as typeof r
        } catch {
          return json(200, { errcode: 47001, errmsg: 'data format error' })
        }
        if (r.grant_type !== 'client_credential') return json(200, { errcode: 40002, errmsg: 'invalid grant_type' })
        if (r.appid !== appId) return json(200, { errcode: 40013, errmsg: 'invalid appid' })
        if (r.secret !== appSecret) return json(200, { errcode: 40125, errmsg: 'invalid appsecret' })
        accessToken ||= `fake-access-token-${Date.now().toString(36)}`
        json(200, { access_token: accessToken, expires_in: 7200 })
      })
      return
    }
    if (req.method === 'GET' && url.pathname === '/cgi-bin/ticket/getticket') {
      if (q.get('type') !== 'jsapi') return json(200, { errcode: 40097, errmsg: 'invalid args' })
      if (!accessToken || q.get('access_token') !== accessToken) return json(200, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' })
      ticket ||= `fake-jsapi-ticket-${Date.now().toString(36)}-kgt8ON7yVITDhtdwci0qeQ`
      return json(200, { errcode: 0, errmsg: 'ok', ticket, expires_in: 7200 })
    }
    json(404, { errcode: 404, errmsg: `no such path ${url.pathname}` })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    url,
    appId,
    appSecret,
    exchanges,
    ticket: () => ticket,
    variables: () => ({ wechat_app_id: appId, wechat_app_secret: appSecret, wechat_api_base: url, wechat_oauth_base: url }),
    openedBy(openid, snapshot = false) {
      visitor = { openid, snapshot }
    },
    stop: () => new Promise<void>((done) => server.close(() => done())),
  }
}
