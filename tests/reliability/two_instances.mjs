// Two `weihu serve` instances on one PostgreSQL database (README: "several `weihu serve`
// processes can share one PostgreSQL behind a load balancer").
//
//   node --test tests/reliability/two_instances.mjs
//
// On a fresh weihu_h_* database: instance A starts with --demo, then instance B with --demo too
// (loading the demo is idempotent: nothing is added twice). Then:
//   - sessions: a session cookie from the login form on A works on B (pages, API reads, API writes
//     with the session's CSRF token); logging out on A ends it on B; login throttling counts
//     failures across instances;
//   - orders created concurrently on A and B are numbered without gaps or duplicates;
//   - statements: `weihu statements generate --month M` run by two processes at once, together with
//     POST /api/v1/statements/generate on A and on B, leaves exactly one regular statement per
//     contract and month (last month and the two before it);
//   - SLA notifications (WEIHU_TWO_SLA=0 skips it, ~2 min): orders on a policy with 1-minute
//     wall-clock targets breach while both instances run their clock job every 30 s; every clock
//     is announced breached exactly once (timeline event and dispatcher notification).
// A separate test starts two plain `weihu serve` at the same moment on an empty database, three
// times, and expects both to come up (the provider and the administrator are created by
// whichever instance gets there first; the other finds them).
//
// PostgreSQL only; skipped when none answers, except under CI=true.

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO_PASSWORD,
  api,
  badLogLines,
  cli,
  createToken,
  freshBackend,
  get200,
  listAll,
  log,
  pool,
  psql,
  sleep,
  startServer,
  wantPostgres,
} from './lib.mjs';

const SLA = process.env.WEIHU_TWO_SLA !== '0';
const SLA_ORDERS = 12;

/** Months as YYYY-MM, `back` months before the current one (UTC is close enough here). */
function monthsAgo(back) {
  const d = new Date();
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
  return `${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Cookies and the login form

function cookiesOf(res) {
  const out = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

/** GET /login for the login CSRF cookie and field, then POST the form. Returns the fetch Response. */
async function postLogin(base, username, password) {
  const page = await fetch(`${base}/login`);
  const html = await page.text();
  const loginCsrf = cookiesOf(page).weihu_login_csrf;
  const field = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(loginCsrf && field, 'GET /login sets the login CSRF cookie and field');
  return fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `weihu_login_csrf=${loginCsrf}` },
    body: new URLSearchParams({ csrf: field, next: '', username, password }).toString(),
  });
}

async function login(base, username, password) {
  const res = await postLogin(base, username, password);
  assert.equal(res.status, 303, `login as ${username} redirects`);
  const session = cookiesOf(res).weihu_session;
  assert.ok(session, 'login sets weihu_session');
  return session;
}

/** A page with the session cookie; returns { status, location, csrf } (csrf from its forms). */
async function page(base, session, path) {
  const res = await fetch(base + path, { redirect: 'manual', headers: { cookie: `weihu_session=${session}` } });
  const html = await res.text();
  return {
    status: res.status,
    location: res.headers.get('location'),
    csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1],
  };
}

// ---------------------------------------------------------------------------------------------

test('two instances on one PostgreSQL database', { timeout: 600_000 }, async (t) => {
  if (!(await wantPostgres())) return t.skip('no PostgreSQL');
  const backend = await freshBackend('postgres');
  const servers = [];
  try {
    log(`starting instance A with --demo on ${backend.name}`);
    const a = await startServer(backend, { demo: true, label: 'instance A' });
    servers.push(a);
    const admin = await createToken(backend, 'admin', 'two-instances');
    const dispatcher = await createToken(backend, 'wang.fang', 'two-instances');
    const finance = await createToken(backend, 'liu.yang', 'two-instances');
    const ordersBefore = (await get200(a.url, dispatcher, '/api/v1/orders?limit=1')).total;
    const usersBefore = (await get200(a.url, admin, '/api/v1/users?limit=1')).total;

    log('starting instance B with --demo on the same database');
    const b = await startServer(backend, { demo: true, label: 'instance B' });
    servers.push(b);
    const inst = [a, b];

    await t.test('loading the demo a second time adds nothing', async () => {
      assert.equal((await get200(b.url, dispatcher, '/api/v1/orders?limit=1')).total, ordersBefore, 'orders');
      assert.equal((await get200(b.url, admin, '/api/v1/users?limit=1')).total, usersBefore, 'users');
    });

    // Start the SLA orders first: their clocks breach while the other checks run.
    let sla = null;
    if (SLA) sla = await startSlaOrders(inst, admin);

    await t.test('a session from A works on B, and logging out on A ends it on B', async () => {
      const session = await login(a.url, 'wang.fang', DEMO_PASSWORD);
      const me = await api(b.url, null, 'GET', '/api/v1/me', undefined, { headers: { cookie: `weihu_session=${session}` } });
      assert.equal(me.status, 200, `GET /api/v1/me on B with A's session: ${me.text.slice(0, 200)}`);
      assert.equal(me.body.username, 'wang.fang');
      const dash = await page(b.url, session, '/dashboard');
      assert.equal(dash.status, 200, `GET /dashboard on B with A's session (location ${dash.location})`);
      assert.ok(dash.csrf, 'the dashboard on B carries the session CSRF token');
      const [order] = (await get200(b.url, dispatcher, '/api/v1/orders?limit=1')).items;
      const cookie = `weihu_session=${session}`;
      const ok = await api(b.url, null, 'POST', `/api/v1/orders/${order.id}/comments`, { body: 'session from A, written on B', public: false }, {
        headers: { cookie, 'x-csrf-token': dash.csrf },
      });
      assert.ok(ok.status === 200 || ok.status === 201, `comment on B with A's session + CSRF: ${ok.status} ${ok.text.slice(0, 200)}`);
      const noCsrf = await api(b.url, null, 'POST', `/api/v1/orders/${order.id}/comments`, { body: 'no csrf', public: false }, { headers: { cookie } });
      assert.equal(noCsrf.status, 403, 'a session write without X-CSRF-Token is refused');

      const out = await fetch(`${a.url}/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ csrf: dash.csrf }).toString(),
      });
      assert.equal(out.status, 303, 'logout on A');
      const after = await api(b.url, null, 'GET', '/api/v1/me', undefined, { headers: { cookie } });
      assert.equal(after.status, 401, "after logout on A, B refuses A's session");
    });

    await t.test('login throttling counts failures on both instances', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await postLogin(inst[i % 2].url, 'lin.tao', 'wrong-password');
        assert.notEqual(res.status, 303, 'a wrong password does not log in');
      }
      const res = await postLogin(b.url, 'lin.tao', DEMO_PASSWORD);
      assert.equal(res.status, 429, 'after 5 failures spread over A and B, B throttles the name');
    });

    await t.test('orders created on A and B at once are numbered without gaps', async () => {
      const orgs = (await listAll(a.url, dispatcher, '/api/v1/organizations')).filter((o) => o.kind === 'client').map((o) => o.id);
      const made = await pool(Array.from({ length: 60 }, (_, i) => i), 8, async (i) => {
        const r = await api(inst[i % 2].url, dispatcher, 'POST', '/api/v1/orders', {
          client_org_id: orgs[i % orgs.length],
          requester_name: 'two instances',
          category: 'network',
          urgency: 'medium',
          impact: 'medium',
          subject: `two-instances #${i}`,
        });
        assert.equal(r.status, 201, `POST /api/v1/orders on ${i % 2 ? 'B' : 'A'}: ${r.text.slice(0, 200)}`);
        return r.body.number;
      });
      assert.equal(new Set(made).size, made.length, 'no number given twice');
      const all = await listAll(b.url, dispatcher, '/api/v1/orders?sort=number');
      const byYear = new Map();
      for (const o of all) {
        const [, y, n] = /^SO-(\d{4})-(\d{6})$/.exec(o.number);
        if (!byYear.has(y)) byYear.set(y, []);
        byYear.get(y).push(Number(n));
      }
      for (const [y, nums] of byYear) {
        nums.sort((x, z) => x - z);
        assert.deepEqual(nums, nums.map((_, i) => i + 1), `${y}: numbers 1..${nums.length}`);
      }
    });

    await t.test('statements generated by two processes and both instances at once: one per contract and month', async () => {
      const months = [monthsAgo(1), monthsAgo(2), monthsAgo(3)];
      for (const month of months) {
        const runs = await Promise.all([
          cli(backend, ['statements', 'generate', '--month', month]),
          cli(backend, ['statements', 'generate', '--month', month]),
          api(a.url, finance, 'POST', '/api/v1/statements/generate', { month }),
          api(b.url, finance, 'POST', '/api/v1/statements/generate', { month }),
        ]);
        for (const [i, r] of runs.slice(0, 2).entries()) {
          assert.equal(r.code, 0, `statements generate --month ${month} (process ${i + 1}): ${r.stdout}\n${r.stderr}`);
        }
        for (const [i, r] of runs.slice(2).entries()) {
          assert.equal(r.status, 200, `POST /api/v1/statements/generate on ${i ? 'B' : 'A'}: ${r.status} ${r.text.slice(0, 300)}`);
        }
        log(`statements ${month}: ${runs.slice(0, 2).map((r) => r.stdout.trim().split('\n').pop()).join(' | ')}`);

        const dup = await psql(
          `SELECT contract_id || ':' || count(*) FROM statements WHERE month = '${month}' AND kind = 'regular' GROUP BY contract_id HAVING count(*) <> 1`,
          backend.url,
        );
        assert.equal(dup, '', `${month}: contracts with more than one regular statement (contract:count)`);
        const items = await listAll(a.url, finance, `/api/v1/statements?month=${month}`);
        const regular = items.filter((s) => s.kind === 'regular');
        const perContract = new Map();
        for (const s of regular) perContract.set(s.contract_id, (perContract.get(s.contract_id) || 0) + 1);
        for (const [c, n] of perContract) assert.equal(n, 1, `${month}: contract ${c} has ${n} regular statements`);
        const rows = Number(await psql(`SELECT count(*) FROM statements WHERE month = '${month}' AND kind = 'regular'`, backend.url));
        assert.equal(regular.length, rows, `${month}: the API lists every regular statement`);
        if (month === months[0]) assert.ok(rows > 0, `${month}: the demo contracts get statements for last month`);
        log(`statements ${month}: ${rows} regular statement(s) for ${perContract.size} contract(s)`);
      }
    });

    if (sla) {
      await t.test('each SLA clock is announced breached exactly once across both instances', async () => {
        await checkSlaOrders(inst, dispatcher, backend.url, sla);
      });
    }

    for (const s of servers) await s.stop();
    const bad = badLogLines(servers.map((s) => s.logs()).join('\n'));
    assert.deepEqual(bad, [], 'no panic or ERROR in the instances’ logs');
  } finally {
    for (const s of servers) if (!s.exited) await s.kill9().catch(() => {});
    await backend.drop();
  }
});

/** A default policy with 1-minute wall-clock targets, a client without a contract, orders on A and B. */
async function startSlaOrders(inst, admin) {
  const [a] = inst;
  const tiny = { calendar: '7×24 机房', at_risk_percent: 50, response: { kind: 'wall_clock', minutes: 1 }, resolution: { kind: 'wall_clock', minutes: 1 }, arrival: { kind: 'wall_clock', minutes: 1 } };
  const row = { high: 'P1', medium: 'P1', low: 'P1' };
  const pol = await api(a.url, admin, 'POST', '/api/v1/sla-policies', {
    is_default: true,
    definition: { name: 'reliability: 1-minute wall clock', matrix: { high: row, medium: row, low: row }, targets: { P1: tiny, P2: tiny, P3: tiny, P4: tiny } },
  });
  assert.equal(pol.status, 201, `POST /api/v1/sla-policies: ${pol.text.slice(0, 300)}`);
  const org = await api(a.url, admin, 'POST', '/api/v1/organizations', { code: `RELSLA${Date.now() % 100000}`, name: '可靠性测试 SLA client' });
  assert.equal(org.status, 201, `POST /api/v1/organizations: ${org.text.slice(0, 300)}`);
  const ids = await pool(Array.from({ length: SLA_ORDERS }, (_, i) => i), 4, async (i) => {
    const r = await api(inst[i % 2].url, admin, 'POST', '/api/v1/orders', {
      client_org_id: org.body.id,
      requester_name: 'sla',
      category: 'hardware',
      urgency: 'high',
      impact: 'high',
      subject: `sla breach #${i}`,
    });
    assert.equal(r.status, 201, `POST /api/v1/orders: ${r.text.slice(0, 300)}`);
    assert.equal(r.body.policy_id, pol.body.id, 'the order runs on the 1-minute policy');
    assert.deepEqual(r.body.clocks.map((c) => c.kind).sort(), ['resolution', 'response']);
    return r.body.id;
  });
  log(`SLA: ${ids.length} orders with 1-minute response and resolution clocks created on A and B`);
  return { ids, started: Date.now() };
}

async function checkSlaOrders(inst, dispatcher, dbUrl, { ids, started }) {
  const breaches = async () => {
    const evs = await pool(ids, 8, (id) => get200(inst[id % 2].url, dispatcher, `/api/v1/orders/${id}/events`));
    return evs.map((ev) => ev.filter((e) => e.kind === 'clock_breached' || e.kind === 'clock_at_risk'));
  };
  // Breach at +60 s; each instance's job runs every 30 s. Wait until every clock has breached.
  const deadline = started + 150_000;
  let evs;
  for (;;) {
    evs = await breaches();
    const done = evs.every((e) => e.filter((x) => x.kind === 'clock_breached').length >= 2);
    if (done) break;
    if (Date.now() > deadline) break;
    await sleep(5_000);
  }
  // One more full tick of both jobs, to catch a late duplicate.
  await sleep(35_000);
  evs = await breaches();
  const problems = [];
  for (const [k, id] of ids.entries()) {
    for (const clock of ['response', 'resolution']) {
      const b = evs[k].filter((e) => e.kind === 'clock_breached' && e.body === clock).length;
      const r = evs[k].filter((e) => e.kind === 'clock_at_risk' && e.body === clock).length;
      if (b !== 1) problems.push(`order ${id} ${clock}: ${b} breach events`);
      if (r > 1) problems.push(`order ${id} ${clock}: ${r} at-risk events`);
    }
  }
  // Across the whole database (the other orders of this test run on the 1-minute default policy
  // too): no clock event twice in a timeline, no clock notification twice to anyone.
  const dupEvents = await psql(
    "SELECT order_id || ' ' || kind || ' ' || body || ' x' || count(*) FROM order_events WHERE kind LIKE 'clock\\_%' " +
      'GROUP BY order_id, kind, body HAVING count(*) > 1',
    dbUrl,
  );
  if (dupEvents) problems.push(...dupEvents.split('\n').map((l) => `timeline event written more than once: ${l}`));
  const dupNotes = await psql(
    "SELECT user_id || ' ' || kind || ' ' || body || ' x' || count(*) FROM notifications WHERE kind LIKE 'clock\\_%' " +
      'GROUP BY user_id, order_id, kind, body HAVING count(*) > 1',
    dbUrl,
  );
  if (dupNotes) problems.push(...dupNotes.split('\n').map((l) => `notification sent more than once: ${l}`));
  // Every dispatcher and service-level manager got each breach of these orders once, and one
  // mail with it (queued in the same transaction: no mail twice either).
  const dispatchers = Number(
    await psql("SELECT count(*) FROM users WHERE role IN ('dispatcher', 'service_level_manager') AND active = 1", dbUrl),
  );
  const breachNotes = Number(
    await psql(`SELECT count(*) FROM notifications WHERE order_id IN (${ids.join(',')}) AND kind = 'clock_breached'`, dbUrl),
  );
  if (breachNotes !== ids.length * 2 * dispatchers) {
    problems.push(`${breachNotes} breach notifications for ${ids.length * 2} clocks and ${dispatchers} dispatcher(s) and service-level manager(s)`);
  }
  const breachMails = Number(
    await psql(`SELECT count(*) FROM mail_outbox WHERE order_id IN (${ids.join(',')}) AND kind = 'clock_breached'`, dbUrl),
  );
  if (breachMails !== breachNotes) problems.push(`${breachMails} breach mails for ${breachNotes} breach notifications`);
  const totals = await psql(
    "SELECT kind || '=' || count(*) FROM order_events WHERE kind LIKE 'clock\\_%' GROUP BY kind ORDER BY kind",
    dbUrl,
  );
  const mine = await get200(inst[1].url, dispatcher, '/api/v1/notifications');
  assert.ok(Array.isArray(mine), 'GET /api/v1/notifications answers a list');
  log(
    `SLA: ${ids.length * 2} clocks watched, ${breachNotes} breach notifications to ${dispatchers} dispatcher(s) and service-level manager(s); ` +
      `clock events in the whole database: ${totals.split('\n').join(', ')}`,
  );
  assert.deepEqual(problems, []);
}

test(
  'two plain `weihu serve` started at the same moment on an empty database both come up',
  { timeout: 300_000 },
  async (t) => {
    if (!(await wantPostgres())) return t.skip('no PostgreSQL');
    const failures = [];
    for (let i = 0; i < 3; i++) {
      const backend = await freshBackend('postgres');
      const started = [];
      try {
        const results = await Promise.allSettled([
          startServer(backend, { label: 'instance A' }),
          startServer(backend, { label: 'instance B' }),
        ]);
        for (const r of results) {
          if (r.status === 'fulfilled') started.push(r.value);
          else failures.push(`try ${i + 1}: ${r.reason.message.split('\n').filter((l) => /error|exited/i.test(l)).join(' / ')}`);
        }
      } finally {
        for (const s of started) await s.stop();
        await backend.drop();
      }
    }
    assert.deepEqual(failures, [], 'both instances start');
  },
);
