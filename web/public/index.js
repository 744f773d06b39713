fetch('/api/v1/status').then(r => r.json()).then(s => {
  const dl = document.getElementById('status');
  if (s.error) { dl.innerHTML = '<dt>状态</dt><dd class="bad"></dd>'; dl.querySelector('dd').textContent = s.error.message; return; }
  const rows = [['实践中心 Centre', s.county || '—'], ['状态 Status', s.status],
                ['数据库版本 Schema', s.schema ? s.schema.version + ' · ' + s.schema.name : '—']];
  dl.innerHTML = '';
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    dl.append(dt, dd);
  }
}).catch(() => { document.querySelector('#status dd').textContent = '无法连接 unreachable'; });
