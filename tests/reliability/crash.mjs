// Crash safety: every write Weihu acknowledged survives a `kill -9` of the server.
//
//   node --test tests/reliability/crash.mjs       (or plain `node tests/reliability/crash.mjs`)
//
// Per backend (SQLite in a temp dir; PostgreSQL in a fresh weihu_h_* database): start
// `weihu serve --demo`, then for each round run WORKERS concurrent workers that create service
// orders and comment on them, SIGKILL the server 1–3 s (random) into the load, restart it on the
// same data and check, over everything acknowledged so far:
//   - every order answered 201 is there, with its number and subject, and has SLA clocks;
//   - every comment answered 2xx is in its order's timeline, exactly once;
//   - order numbers are gap-free and unique: SO-YYYY-000001..N per year (demo orders included);
//   - every order the test created (acknowledged or not) has clocks;
//   - no 5xx answer, no other unexpected status, no network error before the kill.
// Prints a summary per backend: requests tried, acknowledged, faults injected, records lost, 5xx.
//
// Environment: WEIHU_BIN, WEIHU_PG_ADMIN (see lib.mjs); WEIHU_CRASH_ROUNDS (default 3),
// WEIHU_CRASH_WORKERS (8), WEIHU_CRASH_BACKENDS (sqlite,postgres), WEIHU_CRASH_BUDGET_S (time
// after which no new round starts on a backend, default 150), WEIHU_CRASH_SUMMARY (write the
// figures as JSON to this file).

import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  api,
  badLogLines,
  createToken,
  freshBackend,
  get200,
  listAll,
  log,
  pool,
  sleep,
  startServer,
  wantPostgres,
} from './lib.mjs';

const ROUNDS = Number(process.env.WEIHU_CRASH_ROUNDS || 3);
const WORKERS = Number(process.env.WEIHU_CRASH_WORKERS || 8);
const BACKENDS = (process.env.WEIHU_CRASH_BACKENDS || 'sqlite,postgres').split(',').map((s) => s.trim());
const BUDGET_MS = Number(process.env.WEIHU_CRASH_BUDGET_S || 150) * 1000;
const CATEGORIES = ['hardware', 'software', 'network', 'server_storage', 'database', 'peripheral', 'other'];
const LEVELS = ['low', 'medium', 'high'];
const pick = (a) => a[Math.floor(Math.random() * a.length)];

const summaries = [];

after(() => {
  if (summaries.length === 0) return;
  const lines = ['', 'crash safety summary', 'backend   rounds  tried  acknowledged  faults  lost  5xx  other  committed-unacked'];
  for (const s of summaries) {
    lines.push(
      `${s.backend.padEnd(9)} ${String(s.rounds).padStart(6)} ${String(s.tried).padStart(6)} ${String(s.acknowledged).padStart(13)} ` +
        `${String(s.faults).padStart(7)} ${String(s.lost).padStart(5)} ${String(s.server_errors).padStart(4)} ` +
        `${String(s.unexpected).padStart(6)} ${String(s.committed_unacknowledged).padStart(18)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.env.WEIHU_CRASH_SUMMARY) writeFileSync(process.env.WEIHU_CRASH_SUMMARY, JSON.stringify(summaries, null, 2));
});

for (const kind of BACKENDS) {
  test(`crash safety on ${kind}: acknowledged writes survive kill -9`, { timeout: BUDGET_MS + 600_000 }, async (t) => {
    if (kind === 'postgres' && !(await wantPostgres())) return t.skip('no PostgreSQL');
    const s = await crashRounds(kind);
    summaries.push(s);
    const problems = [
      ...s.problems.lost.map((p) => `LOST: ${p}`),
      ...s.problems.serverErrors.map((p) => `5xx: ${p}`),
      ...s.problems.unexpected.map((p) => `unexpected: ${p}`),
      ...s.problems.numbering.map((p) => `numbering: ${p}`),
      ...s.problems.clocks.map((p) => `clocks: ${p}`),
      ...s.problems.logs.map((p) => `server log: ${p}`),
    ];
    assert.equal(s.lost, 0, `records lost on ${kind}`);
    assert.deepEqual(problems, [], `problems on ${kind}:\n${problems.slice(0, 50).join('\n')}`);
    assert.ok(s.acknowledged > 0, 'the load got at least one acknowledged write');
  });
}

async function crashRounds(kind) {
  const started = Date.now();
  const tag = randomBytes(4).toString('hex');
  const backend = await freshBackend(kind);
  const s = {
    backend: kind,
    rounds: 0,
    tried: 0,
    acknowledged: 0,
    orders_tried: 0,
    orders_acknowledged: 0,
    comments_tried: 0,
    comments_acknowledged: 0,
    faults: 0,
    lost: 0,
    server_errors: 0,
    unexpected: 0,
    committed_unacknowledged: 0,
    orders_total: 0,
    seconds: 0,
    problems: { lost: [], serverErrors: [], unexpected: [], numbering: [], clocks: [], logs: [] },
  };
  const ackedOrders = []; // { id, number, subject }
  const ackedComments = []; // { orderId, body }
  let server;
  const allLogs = [];
  try {
    log(`[${kind}] starting weihu serve --demo (fresh ${kind === 'sqlite' ? backend.dataDir : backend.name})`);
    server = await startServer(backend, { demo: true, label: `weihu (${kind})` });
    const token = await createToken(backend, 'wang.fang', 'crash-test');
    const clients = (await listAll(server.url, token, '/api/v1/organizations'))
      .filter((o) => o.kind === 'client' && o.active)
      .map((o) => o.id);
    assert.ok(clients.length > 0, 'demo data has client organisations');

    for (let round = 1; round <= ROUNDS; round++) {
      if (round > 1 && Date.now() - started > BUDGET_MS) {
        log(`[${kind}] time budget spent: stopping after ${round - 1} rounds`);
        break;
      }
      const state = { killed: false };
      const base = server.url;
      const worker = async (w) => {
        for (let i = 0; !state.killed; i++) {
          const subject = `crash ${tag} r${round} w${w} #${i}`;
          const order = {
            client_org_id: pick(clients),
            requester_name: '崩溃测试 crash test',
            requester_phone: '021-0000 0000',
            category: pick(CATEGORIES),
            urgency: pick(LEVELS),
            impact: pick(LEVELS),
            subject,
            description: `打印机无法打印 round ${round} worker ${w}`,
          };
          s.tried++;
          s.orders_tried++;
          let r;
          try {
            r = await api(base, token, 'POST', '/api/v1/orders', order, { timeoutMs: 30_000 });
          } catch (e) {
            if (state.killed) return;
            s.unexpected++;
            s.problems.unexpected.push(`POST /api/v1/orders before the kill: ${e.cause?.code || e.message}`);
            continue;
          }
          if (!classify(s, r, 'POST /api/v1/orders', [201])) continue;
          if (typeof r.body?.id !== 'number' || !/^SO-\d{4}-\d{6}$/.test(r.body?.number ?? '')) {
            s.unexpected++;
            s.problems.unexpected.push(`POST /api/v1/orders 201 without id/number: ${r.text.slice(0, 300)}`);
            continue;
          }
          ackedOrders.push({ id: r.body.id, number: r.body.number, subject });
          s.acknowledged++;
          s.orders_acknowledged++;

          const body = `comment ${tag} r${round} w${w} #${i} 已电话联系`;
          s.tried++;
          s.comments_tried++;
          let c;
          try {
            c = await api(base, token, 'POST', `/api/v1/orders/${r.body.id}/comments`, { body, public: true }, { timeoutMs: 30_000 });
          } catch (e) {
            if (state.killed) return;
            s.unexpected++;
            s.problems.unexpected.push(`POST /api/v1/orders/${r.body.id}/comments before the kill: ${e.cause?.code || e.message}`);
            continue;
          }
          if (!classify(s, c, `POST /api/v1/orders/${r.body.id}/comments`, [200, 201])) continue;
          ackedComments.push({ orderId: r.body.id, body });
          s.acknowledged++;
          s.comments_acknowledged++;
        }
      };
      const before = s.acknowledged;
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      const delay = 1000 + Math.floor(Math.random() * 2000);
      await sleep(delay);
      state.killed = true;
      const exit = await server.kill9();
      s.faults++;
      allLogs.push(server.logs());
      await Promise.all(workers);
      log(`[${kind}] round ${round}: kill -9 after ${delay} ms (exit ${exit.signal || exit.code}); ${s.acknowledged - before} writes acknowledged this round`);

      server = await startServer(backend, { demo: false, label: `weihu (${kind}, restart ${round})` });
      await verify(server.url, token, s, ackedOrders, ackedComments, tag);
      s.rounds = round;
      log(`[${kind}] round ${round}: verified ${ackedOrders.length} orders and ${ackedComments.length} comments; lost so far ${s.lost}`);
    }
    await server.stop();
    allLogs.push(server.logs());
  } finally {
    if (server && !server.exited) await server.kill9().catch(() => {});
    await backend.drop();
  }
  for (const l of badLogLines(allLogs.join('\n'))) s.problems.logs.push(l.slice(0, 400));
  s.seconds = Math.round((Date.now() - started) / 1000);
  return s;
}

/** Count one answer; returns true for an expected success. */
function classify(s, r, what, ok) {
  if (ok.includes(r.status)) return true;
  if (r.status >= 500) {
    s.server_errors++;
    s.problems.serverErrors.push(`${what} → ${r.status} ${r.text.slice(0, 300)}`);
  } else {
    s.unexpected++;
    s.problems.unexpected.push(`${what} → ${r.status} ${r.text.slice(0, 300)}`);
  }
  return false;
}

async function verify(base, token, s, ackedOrders, ackedComments, tag) {
  s.lost = 0;
  s.problems.lost = [];
  s.problems.numbering = [];
  s.problems.clocks = [];

  // 1. Every acknowledged order, by id: same number and subject, with clocks.
  await pool(ackedOrders, 8, async (o) => {
    const r = await api(base, token, 'GET', `/api/v1/orders/${o.id}`);
    if (r.status !== 200) {
      s.lost++;
      s.problems.lost.push(`order ${o.id} (${o.number}) acknowledged, now GET → ${r.status}`);
      return;
    }
    if (r.body.number !== o.number || r.body.subject !== o.subject) {
      s.lost++;
      s.problems.lost.push(`order ${o.id}: acknowledged as ${o.number} "${o.subject}", now ${r.body.number} "${r.body.subject}"`);
    }
    if (!Array.isArray(r.body.clocks) || r.body.clocks.length === 0) {
      s.problems.clocks.push(`order ${o.id} (${o.number}) has no clocks`);
    }
  });

  // 2. Every acknowledged comment, exactly once in its order's timeline.
  const byOrder = new Map();
  for (const c of ackedComments) {
    if (!byOrder.has(c.orderId)) byOrder.set(c.orderId, []);
    byOrder.get(c.orderId).push(c.body);
  }
  await pool([...byOrder.keys()], 8, async (id) => {
    const r = await api(base, token, 'GET', `/api/v1/orders/${id}/events`);
    const events = Array.isArray(r.body) ? r.body : (r.body?.items ?? []);
    if (r.status !== 200) {
      s.lost += byOrder.get(id).length;
      s.problems.lost.push(`events of order ${id}: GET → ${r.status}`);
      return;
    }
    for (const body of byOrder.get(id)) {
      const n = events.filter((e) => e.kind === 'comment' && e.body === body).length;
      if (n === 0) {
        s.lost++;
        s.problems.lost.push(`comment "${body}" on order ${id} acknowledged, not in its timeline`);
      } else if (n > 1) {
        s.problems.lost.push(`comment "${body}" on order ${id} is in the timeline ${n} times`);
      }
    }
  });

  // 3. Numbering: per year exactly 1..N, no duplicates; every order of this test has clocks.
  const all = await listAll(base, token, '/api/v1/orders?sort=number');
  s.orders_total = all.length;
  const years = new Map();
  for (const o of all) {
    const m = /^SO-(\d{4})-(\d{6})$/.exec(o.number);
    if (!m) {
      s.problems.numbering.push(`order ${o.id} has a malformed number ${o.number}`);
      continue;
    }
    if (!years.has(m[1])) years.set(m[1], []);
    years.get(m[1]).push(Number(m[2]));
  }
  for (const [year, nums] of years) {
    nums.sort((a, b) => a - b);
    for (let i = 0; i < nums.length; i++) {
      if (nums[i] !== i + 1) {
        s.problems.numbering.push(
          `${year}: expected ${i + 1}, found ${nums[i]} (numbers ${nums[0]}..${nums[nums.length - 1]}, ${nums.length} orders)`,
        );
        break;
      }
    }
  }
  const subjects = new Map();
  for (const o of all) {
    if (!o.subject.startsWith(`crash ${tag} `)) continue;
    subjects.set(o.subject, (subjects.get(o.subject) || 0) + 1);
    if (!Array.isArray(o.clocks) || o.clocks.length === 0) s.problems.clocks.push(`order ${o.id} (${o.number}) has no clocks`);
  }
  for (const [subject, n] of subjects) if (n > 1) s.problems.numbering.push(`"${subject}" was stored ${n} times`);
  const acked = new Set(ackedOrders.map((o) => o.subject));
  s.committed_unacknowledged = [...subjects.keys()].filter((x) => !acked.has(x)).length;
  // The server still answers after the checks (the restart is healthy).
  await get200(base, null, '/healthz');
}
