'use strict';
// The phone's check-in page (see checkin.html). The session is the same one the survey page keeps
// (sessionStorage 'wenming-token'), so a volunteer signed in on one phone page is on the other.
const code = (new URLSearchParams(location.search).get('code') || '').trim().toUpperCase();
const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem('wenming-token');

async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

function signedOut() {
  token = null;
  sessionStorage.removeItem('wenming-token');
  $('#act').hidden = true;
  $('#signin').hidden = false;
}

/** The phone's position, or null when the person or the browser declines. */
function position() {
  return new Promise((done) => {
    if (!navigator.geolocation) return done(null);
    navigator.geolocation.getCurrentPosition(
      (p) => done({ latitude: p.coords.latitude, longitude: p.coords.longitude }),
      () => done(null),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  });
}

const time = (t) => (t ? t.slice(0, 16).replace('T', ' ') : '');

/** The refusal in Chinese, and whether it concerns the rotating code's field. */
function refusal(r, out) {
  const e = (r.body && r.body.error) || {};
  if (r.status === 401) return { text: '登录已失效，请重新登录' };
  if (r.status === 429) return { text: '尝试次数过多，请稍后再试' };
  if (r.status === 403) return { text: '您没有报名该活动，或报名尚未确认' };
  if (r.status === 404) return { text: '没有这个活动码，请重新扫码' };
  if (e.code === 'outside_window') return { text: '不在签到时间内（活动开始前 30 分钟至活动结束）' };
  if (e.code === 'not_checked_in') return { text: '您还没有签到，不能签退' };
  if (e.field === 'dynamic_code') return { text: '动态签到码不正确或已过期，请输入大屏上当前显示的数字', field: true };
  if (e.field === 'location') return { text: '未获取到位置，或您不在活动地点附近' + (out ? '' : '，请到现场后再签到') };
  if (r.status === 0) return { text: '无法连接服务器，请检查网络后重试' };
  return { text: '操作未成功，请稍后再试' };
}

async function act(out) {
  $('#act-err').textContent = '';
  $('#dynamic-err').textContent = '';
  $('#act-ok').textContent = '正在获取位置…';
  $('#in').disabled = $('#out').disabled = true;
  try {
    const body = { code };
    const where = await position();
    if (where) Object.assign(body, where);
    const dynamic = $('#dynamic').value.trim();
    if (!out && dynamic) body.dynamic_code = dynamic;
    $('#act-ok').textContent = '';
    const r = await api('POST', out ? '/api/v1/checkouts' : '/api/v1/checkins', body).catch(() => ({ status: 0, body: null }));
    if (r.status === 200 || r.status === 201) {
      const a = r.body;
      const distance = (out ? a.check_out_distance_m : a.check_in_distance_m);
      const far = distance === null || distance === undefined ? '' : `，距活动地点 ${distance} 米`;
      $('#act-ok').textContent = out
        ? `签退成功：${time(a.checked_out_at)}${far}，本次服务 ${a.minutes ?? 0} 分钟（待组织者确认）`
        : `签到成功：${time(a.checked_in_at)}${far}`;
      return;
    }
    if (r.status === 401) signedOut();
    const why = refusal(r, out);
    $(why.field ? '#dynamic-err' : '#act-err').textContent = why.text;
  } finally {
    $('#in').disabled = $('#out').disabled = false;
  }
}

$('#send').addEventListener('click', async () => {
  const r = await api('POST', '/api/v1/sms-codes', { phone: $('#phone').value.trim() }).catch(() => ({ status: 0 }));
  $('#signin-err').textContent = r.status === 202 ? '验证码已发送' : r.status === 429 ? '发送过于频繁，请稍后再试' : '发送失败，请检查手机号';
});
$('#login').addEventListener('click', async () => {
  const r = await api('POST', '/api/v1/sessions', { phone: $('#phone').value.trim(), code: $('#sms').value.trim() }).catch(() => ({ status: 0 }));
  if (r.status === 201) {
    token = r.body.token;
    sessionStorage.setItem('wenming-token', token);
    $('#signin').hidden = true;
    $('#act').hidden = false;
  } else $('#signin-err').textContent = r.status === 429 ? '尝试过于频繁，请稍后再试' : '验证码不正确或已过期';
});
$('#in').addEventListener('click', () => act(false));
$('#out').addEventListener('click', () => act(true));

if (!/^[A-Z0-9]{6}$/.test(code)) {
  $('#meta').textContent = '链接不完整：缺少活动码，请重新扫码';
} else {
  $('#meta').textContent = '活动码 ' + code;
  if (token) $('#act').hidden = false; else $('#signin').hidden = false;
}
