// Two `weihu serve` instances behind PgBouncer (transaction pooling) with a PostgreSQL streaming
// replica for reads (`serve --database-read-url`; README: "A read replica").
//
//   scripts/ensure-replica    # primary :55432, replica :55433, PgBouncer :56432; prints the env
//   WEIHU_REPLICA_PRIMARY=postgres://postgres@127.0.0.1:55432 \
//   WEIHU_REPLICA_STANDBY=postgres://postgres@127.0.0.1:55433 \
//   WEIHU_REPLICA_BOUNCER=postgres://postgres@127.0.0.1:56432 \
//   WEIHU_REPLICA_DIR=/var/tmp/weihu-replica node --test tests/reliability/replica.mjs
//
// On a fresh database weihu_rp_<random> on the primary (schema and demo loaded straight on the
// primary: sqlx's migration lock is a session-level advisory lock, which PgBouncer in transaction
// mode cannot keep), instances A and B run with DATABASE_URL through PgBouncer, DATABASE_READ_URL
// on the replica and WEIHU_REPLICA_MAX_LAG=2. Then:
//   - both report the replica healthy in /healthz; a user who never wrote reads lists from it
//     (`x-weihu-read: replica`);
//   - read-your-writes across instances: with WAL replay paused on the replica, an order created on
//     A is found at once on B by its author (search and the order itself, from the primary); the
//     replica is then reported lagging, other users' reads go to the primary and see the order too;
//     after replay resumes and the author's window passes, their reads go to the replica again;
//   - the replica stopped (pg_ctl stop -m fast) under ~100 reads on A and B over 3 s: every answer
//     is 2xx, reads move to the primary, /healthz says unhealthy with an error; started again, it
//     is used again;
//   - 300 mixed requests (order creates and reads, 60 in flight) on A and B through PgBouncer's
//     few server connections with protocol-level prepared statements: no 5xx, no order number
//     twice, PgBouncer in transaction mode and its prepared-statement cache used;
//   - nothing tried to write on the replica (its log has no `read-only transaction` or `cannot
//     execute` error), the primary's log has no prepared-statement mix-up, and the instances' logs
//     have no panic and no ERROR line except the replica's failed reads that were answered again
//     from the primary.
//
// Skipped when WEIHU_REPLICA_PRIMARY is unset, except under CI=true where that is a failure.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { api, badLogLines, cli, createToken, listAll, log, pool, psql, sleep, startServer } from './lib.mjs';

const PRIMARY = process.env.WEIHU_REPLICA_PRIMARY;
const STANDBY = process.env.WEIHU_REPLICA_STANDBY || 'postgres://postgres@127.0.0.1:55433';
const BOUNCER = process.env.WEIHU_REPLICA_BOUNCER || 'postgres://postgres@127.0.0.1:56432';
const DIR = process.env.WEIHU_REPLICA_DIR || '/var/tmp/weihu-replica';
const PG_BIN = process.env.WEIHU_REPLICA_PG_BIN || '/usr/lib/postgresql/15/bin';
const STANDBY_DATA = join(DIR, 'replica/data');
const STANDBY_LOG = join(DIR, 'replica/logfile');
const PRIMARY_LOG = join(DIR, 'primary/logfile');
/** PgBouncer's default_pool_size in scripts/ensure-replica. */
const BOUNCER_POOL = 6;
const MAX_LAG = 2;
/** How long a user's reads stay on the primary after a write (the contract: max-lag + 3 s). */
const WRITE_WINDOW_MS = (MAX_LAG + 3) * 1000;
const MIXED = Number(process.env.WEIHU_REPLICA_REQUESTS || 300);
const IN_FLIGHT = Number(process.env.WEIHU_REPLICA_IN_FLIGHT || 60);

/** `base` (a postgres:// URL) with database `name`. */
function dbUrl(base, name) {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** lib's `api`, with `read`: where the request's reads went (the x-weihu-read header). */
async function req(base, token, method, path, body, opts) {
  const r = await api(base, token, method, path, body, opts);
  return { ...r, read: r.headers.get('x-weihu-read') };
}

/** The `read_replica` part of /healthz (undefined when the server does not report one). */
async function replicaHealth(server) {
  const r = await req(server.url, null, 'GET', '/healthz');
  assert.equal(r.status, 200, `GET /healthz: ${r.status} ${r.text.slice(0, 300)}`);
  return r.body.read_replica;
}

/** Polls `fn` every `everyMs` until it returns something truthy; fails after `timeoutMs`. */
async function waitFor(what, fn, { timeoutMs = 30_000, everyMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(everyMs);
  }
}

/** Both instances report the replica as `healthy` (true or false); returns their reports. */
function bothReport(servers, healthy, what) {
  return waitFor(what, async () => {
    const hs = await Promise.all(servers.map(replicaHealth));
    return hs.every((h) => h && h.healthy === healthy) ? hs : null;
  }, { timeoutMs: 30_000 });
}

/** Run a command; resolves with stdout, rejects with its stderr. */
function run(cmd, args, { timeoutMs = 90_000 } = {}) {
  return new Promise((res, rej) => {
    execFile(cmd, args, { timeout: timeoutMs, cwd: '/' }, (err, stdout, stderr) =>
      err ? rej(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : res(stdout),
    );
  });
}

/** pg_ctl on the replica's data dir, as the postgres OS user when we are root. */
function pgCtl(...args) {
  const pgctl = join(PG_BIN, 'pg_ctl');
  const full = ['-D', STANDBY_DATA, ...args];
  return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', pgctl, ...full]) : run(pgctl, full);
}

/** A psql result (or PgBouncer admin console answer) as objects keyed by column name. */
function pgRows(sql, url) {
  return new Promise((res, rej) => {
    execFile(
      'psql',
      ['-X', '-w', '-A', '-F', '\t', '-P', 'footer=off', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '5' }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) return rej(new Error(`psql ${sql}: ${err.message}\n${stderr}`));
        const [head, ...lines] = stdout.trim().split('\n');
        const cols = head.split('\t');
        res(lines.filter(Boolean).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v]))));
      },
    );
  });
}

function fileSize(path) {
  return existsSync(path) ? statSync(path).size : 0;
}

/** What was appended to `path` after byte `offset`. */
function readFrom(path, offset) {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  if (size <= offset) return '';
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

const letters = (n) => Array.from(randomBytes(n), (x) => String.fromCharCode(97 + (x % 26))).join('');

// ---------------------------------------------------------------------------------------------

test('read replica and PgBouncer: two instances, replica lag and loss, transaction pooling', { timeout: 420_000 }, async (t) => {
  if (!PRIMARY) {
    if (process.env.CI === 'true') throw new Error('CI=true but WEIHU_REPLICA_PRIMARY is unset (run scripts/ensure-replica and export its lines)');
    log('WEIHU_REPLICA_PRIMARY is unset: skipping (scripts/ensure-replica sets up the replica and PgBouncer)');
    return t.skip('no replica set-up (scripts/ensure-replica)');
  }
  const primaryAdmin = dbUrl(PRIMARY, 'postgres');
  const standbyAdmin = dbUrl(STANDBY, 'postgres');
  const bouncerAdmin = dbUrl(BOUNCER, 'pgbouncer');
  assert.equal(await psql('select pg_is_in_recovery()', standbyAdmin), 't', `${STANDBY} is a standby`);
  assert.equal(await psql('select pg_get_wal_replay_pause_state()', standbyAdmin), 'not paused', 'replay on the standby is not paused (scripts/ensure-replica resumes it)');

  const logFrom = { standby: fileSize(STANDBY_LOG), primary: fileSize(PRIMARY_LOG) };
  const name = `weihu_rp_${randomBytes(6).toString('hex')}`;
  await psql(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`, primaryAdmin);
  const dataDir = mkdtempSync(join(tmpdir(), 'weihu-rp-'));
  const primaryDb = dbUrl(PRIMARY, name);
  const standbyDb = dbUrl(STANDBY, name);
  // The CLI (schema, demo, tokens) straight on the primary; the servers through PgBouncer.
  const direct = { dataDir, env: { DATABASE_URL: primaryDb } };
  const served = {
    dataDir,
    env: { DATABASE_URL: dbUrl(BOUNCER, name), DATABASE_READ_URL: standbyDb, WEIHU_REPLICA_MAX_LAG: String(MAX_LAG) },
  };
  const servers = [];
  let paused = false;
  let standbyStopped = false;
  /** x-request-id prefix of the reads sent while the replica was stopped (their errors may be logged). */
  const DOWN = 'replica-down-';
  try {
    const started = Date.now();
    for (const args of [['migrate'], ['demo']]) {
      const r = await cli(direct, args);
      assert.equal(r.code, 0, `weihu ${args.join(' ')} on the primary: ${r.stdout}\n${r.stderr}`);
    }
    const writer = await createToken(direct, 'wang.fang', 'replica');
    const reader = await createToken(direct, 'admin', 'replica');
    log(`${name}: schema, demo and tokens on the primary in ${Date.now() - started} ms`);

    const [a, b] = await Promise.all([
      startServer(served, { label: 'instance A' }),
      startServer(served, { label: 'instance B' }),
    ]);
    servers.push(a, b);
    log(`instances A ${a.url} and B ${b.url} through PgBouncer, reading from ${standbyDb}`);

    await t.test('both instances find the replica healthy and read lists from it', async () => {
      const hs = await bothReport(servers, true, 'both instances to report the replica healthy');
      for (const h of hs) {
        assert.equal(typeof h.replay_lag_bytes, 'number', 'replay_lag_bytes is a number');
        assert.equal(h.error, null, 'no error while healthy');
      }
      for (const s of servers) {
        const r = await req(s.url, reader, 'GET', '/api/v1/orders?limit=5');
        assert.equal(r.status, 200, `GET /api/v1/orders: ${r.text.slice(0, 300)}`);
        assert.ok(r.body.items.length > 0, 'the demo orders are listed');
        assert.equal(r.read, 'replica', 'a user who never wrote reads lists from the replica');
      }
    });

    const orgs = (await listAll(a.url, reader, '/api/v1/organizations')).filter((o) => o.kind === 'client').map((o) => o.id);
    assert.ok(orgs.length > 0, 'the demo has client organisations');
    const newOrder = (i, subject) => ({
      client_org_id: orgs[i % orgs.length],
      requester_name: 'replica test',
      category: 'network',
      urgency: 'medium',
      impact: 'medium',
      subject,
    });

    const word = `rpl${letters(10)}`;
    let order;
    await t.test('read-your-writes across instances while the replica stands still', async () => {
      await psql('SELECT pg_wal_replay_pause()', standbyAdmin);
      paused = true;
      await waitFor('replay to pause', async () => (await psql('select pg_get_wal_replay_pause_state()', standbyAdmin)) === 'paused');
      try {
        const made = await req(a.url, writer, 'POST', '/api/v1/orders', newOrder(0, `replica check ${word}`));
        assert.equal(made.status, 201, `POST /api/v1/orders on A: ${made.text.slice(0, 300)}`);
        order = made.body;
        const wroteAt = Date.now();
        const found = await req(b.url, writer, 'GET', `/api/v1/orders?q=${word}`);
        assert.equal(found.status, 200, `search on B: ${found.text.slice(0, 300)}`);
        assert.deepEqual(found.body.items.map((o) => o.id), [order.id], "the author finds their new order on B at once");
        assert.equal(found.read, 'primary', "the author's search right after the write reads the primary");
        const one = await req(b.url, writer, 'GET', `/api/v1/orders/${order.id}`);
        assert.equal(one.status, 200, `GET /api/v1/orders/${order.id} on B: ${one.text.slice(0, 300)}`);
        assert.equal(one.body.number, order.number);
        assert.equal(one.read, 'primary');
        assert.equal(await psql(`select count(*) from orders where id = ${order.id}`, standbyDb), '0', 'the paused replica does not have the order (so B really read the primary)');
        // Another user opens the order at once (the replica still counts as healthy for ~max-lag):
        // one order is not a list, so it is read from the primary, clocks included.
        assert.ok(order.clocks.length > 0, 'the new order has SLA clocks');
        const seen = await req(b.url, reader, 'GET', `/api/v1/orders/${order.id}`);
        assert.equal(seen.status, 200, `another user's GET /api/v1/orders/${order.id} on B: ${seen.text.slice(0, 300)}`);
        assert.deepEqual(
          seen.body.clocks.map((c) => c.kind).sort(),
          order.clocks.map((c) => c.kind).sort(),
          `another user sees the new order with its clocks (x-weihu-read: ${seen.read}), not clocks from the paused replica`,
        );

        const hs = await bothReport(servers, false, `both instances to see the paused replica as lagging (max lag ${MAX_LAG} s)`);
        const lagSeen = Date.now() - wroteAt;
        log(`replica reported lagging ${lagSeen} ms after the write: ${JSON.stringify(hs[0])}`);
        for (const h of hs) {
          assert.match(String(h.error), /lag/i, 'the error says the replica lags');
          assert.ok(h.replay_lag_bytes > 0, `replay_lag_bytes > 0 (${h.replay_lag_bytes})`);
        }
        const other = await req(a.url, reader, 'GET', `/api/v1/orders?q=${word}`);
        assert.equal(other.status, 200);
        assert.equal(other.read, 'primary', "another user's reads go to the primary while the replica lags");
        assert.deepEqual(other.body.items.map((o) => o.id), [order.id], 'and find the new order');

        await psql('SELECT pg_wal_replay_resume()', standbyAdmin);
        paused = false;
        await bothReport(servers, true, 'the replica to be healthy again after replay resumed');
        const wait = wroteAt + WRITE_WINDOW_MS + 500 - Date.now();
        if (wait > 0) await sleep(wait);
        for (const s of servers) {
          const r = await req(s.url, writer, 'GET', `/api/v1/orders?q=${word}`);
          assert.equal(r.status, 200);
          assert.equal(r.read, 'replica', "after the write window the author's reads go to the replica again");
          assert.deepEqual(r.body.items.map((o) => o.id), [order.id], 'and the replica has the order');
        }
      } finally {
        // Whatever failed above, the later checks need a replica that replays.
        if (paused) {
          await psql('SELECT pg_wal_replay_resume()', standbyAdmin);
          paused = false;
        }
      }
    });

    await t.test('the replica stopped under load: every read answered, from the primary', async () => {
      const paths = [
        '/api/v1/orders?limit=5',
        `/api/v1/orders?q=${word}`,
        order ? `/api/v1/orders/${order.id}` : '/api/v1/orders?limit=1',
        `/api/v1/orders/export?format=csv&q=${word}`,
        '/api/v1/service-level-reports?limit=5',
      ];
      await pgCtl('-m', 'fast', '-w', '-t', '60', 'stop');
      standbyStopped = true;
      try {
        const stoppedAt = Date.now();
        const N = 100;
        const answers = await Promise.all(
          Array.from({ length: N }, async (_, i) => {
            await sleep(i * 30); // ~100 reads over 3 s, alternating A and B
            const path = paths[i % paths.length];
            try {
              const r = await req(servers[i % 2].url, reader, 'GET', path, undefined, { headers: { 'x-request-id': `${DOWN}${i}` } });
              return { i, path, status: r.status, read: r.read, text: r.text.slice(0, 200) };
            } catch (e) {
              return { i, path, status: 0, read: null, text: e.message };
            }
          }),
        );
        const bad = answers.filter((r) => r.status < 200 || r.status > 299);
        assert.deepEqual(bad, [], 'every read while the replica is down answers 2xx');
        const tally = {};
        for (const r of answers) tally[r.read] = (tally[r.read] || 0) + 1;
        log(`${N} reads in ${Date.now() - stoppedAt} ms with the replica down: x-weihu-read ${JSON.stringify(tally)}`);
        assert.ok(answers.every((r) => r.read === 'replica' || r.read === 'primary'), 'every GET says where it read');

        const hs = await bothReport(servers, false, 'both instances to report the stopped replica unhealthy');
        for (const h of hs) assert.ok(typeof h.error === 'string' && h.error.length > 0, `an error is reported (${JSON.stringify(h)})`);
        log(`stopped replica reported as: ${JSON.stringify(hs[0])}`);
        for (const s of servers) {
          const r = await req(s.url, reader, 'GET', '/api/v1/orders?limit=5');
          assert.equal(r.status, 200);
          assert.equal(r.read, 'primary', 'with the replica down, lists are read from the primary');
        }

        await pgCtl('-l', STANDBY_LOG, '-w', '-t', '60', 'start');
        standbyStopped = false;
        await bothReport(servers, true, 'the restarted replica to be healthy again');
        for (const s of servers) {
          const r = await req(s.url, reader, 'GET', '/api/v1/orders?limit=5');
          assert.equal(r.status, 200);
          assert.equal(r.read, 'replica', 'the restarted replica serves lists again');
        }
      } finally {
        if (standbyStopped) {
          await pgCtl('-l', STANDBY_LOG, '-w', '-t', '60', 'start');
          standbyStopped = false;
        }
      }
    });

    await t.test(`${MIXED} mixed requests through PgBouncer's transaction pool with prepared statements`, async () => {
      const t0 = Date.now();
      const subject = `pooled ${letters(8)}`;
      const results = await pool(Array.from({ length: MIXED }, (_, i) => i), IN_FLIGHT, async (i) => {
        const s = servers[i % 2];
        let r;
        let kind;
        try {
          switch (i % 4) {
            case 0:
              kind = 'create';
              r = await req(s.url, writer, 'POST', '/api/v1/orders', newOrder(i, `${subject} #${i}`));
              break;
            case 1:
              kind = 'list';
              r = await req(s.url, reader, 'GET', `/api/v1/orders?limit=20&offset=${i % 40}`);
              break;
            case 2:
              kind = 'search';
              r = await req(s.url, reader, 'GET', `/api/v1/orders?q=${word}`);
              break;
            default:
              kind = 'one';
              r = await req(s.url, i % 8 === 3 ? writer : reader, 'GET', order ? `/api/v1/orders/${order.id}` : '/api/v1/orders?limit=1');
          }
        } catch (e) {
          return { i, kind, status: 0, text: e.message };
        }
        return { i, kind, status: r.status, read: r.read, number: r.body?.number, text: r.text.slice(0, 200) };
      });
      const took = Date.now() - t0;
      const bad = results.filter((r) => (r.kind === 'create' ? r.status !== 201 : r.status !== 200));
      assert.deepEqual(bad, [], 'every create answers 201 and every read 200');
      const reads = results.filter((r) => r.kind !== 'create');
      assert.ok(reads.every((r) => r.read === 'replica' || r.read === 'primary'), 'every GET says where it read');
      const numbers = results.filter((r) => r.kind === 'create').map((r) => r.number);
      assert.equal(new Set(numbers).size, numbers.length, 'no order number given twice');
      const stored = await psql(`select count(*) || ' ' || count(distinct number) from orders where subject like '${subject} #%'`, primaryDb);
      assert.equal(stored, `${numbers.length} ${numbers.length}`, 'every created order is stored once, with its own number');
      const tally = {};
      for (const r of reads) tally[r.read] = (tally[r.read] || 0) + 1;
      log(`${MIXED} requests (${numbers.length} creates) in ${took} ms, ${IN_FLIGHT} in flight; reads: ${JSON.stringify(tally)}`);

      const config = Object.fromEntries((await pgRows('SHOW CONFIG', bouncerAdmin)).map((r) => [r.key, r.value]));
      assert.equal(config.pool_mode, 'transaction', 'PgBouncer pools transactions');
      assert.ok(Number(config.max_prepared_statements) > 0, 'PgBouncer tracks protocol-level prepared statements');
      const [p] = (await pgRows('SHOW POOLS', bouncerAdmin)).filter((r) => r.database === name);
      assert.ok(p, `PgBouncer has a pool for ${name}`);
      const serverConns = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce((n, k) => n + Number(p[k] || 0), 0);
      const clientConns = (await pgRows('SHOW CLIENTS', bouncerAdmin)).filter((r) => r.database === name).length;
      const [st] = (await pgRows('SHOW STATS', bouncerAdmin)).filter((r) => r.database === name);
      log(
        `PgBouncer ${name}: ${clientConns} client connection(s) on ${serverConns} server connection(s); ` +
          `parses client ${st.total_client_parse_count} / server ${st.total_server_parse_count}, binds ${st.total_bind_count}, ` +
          `transactions ${st.total_xact_count}, wait ${Math.round(Number(st.total_wait_time) / 1000)} ms in all`,
      );
      assert.ok(serverConns <= BOUNCER_POOL, `at most ${BOUNCER_POOL} server connections (${serverConns})`);
      assert.ok(clientConns > serverConns, `the app servers' ${clientConns} connections share ${serverConns} server connections`);
      assert.ok(Number(st.total_bind_count) > 0 && Number(st.total_client_parse_count) > 0, 'the app uses prepared statements through PgBouncer');
    });

    for (const s of servers) await s.stop();

    await t.test('nothing was written on the replica; no unexpected error in any log', () => {
      const standbyLog = readFrom(STANDBY_LOG, logFrom.standby);
      const writes = standbyLog.split('\n').filter((l) => /read-only transaction|cannot execute/i.test(l));
      assert.deepEqual(writes, [], "the replica's log shows no attempt to write");
      const primaryLog = readFrom(PRIMARY_LOG, logFrom.primary);
      const mixups = primaryLog
        .split('\n')
        .filter((l) => /prepared statement .* (does not exist|already exists)|bind message supplies|portal .* does not exist/i.test(l));
      assert.deepEqual(mixups, [], "the primary's log shows no prepared statement mixed up by PgBouncer");
      // For information: other errors on this database (a duplicate caught by the app is one).
      for (const [which, text] of [['primary', primaryLog], ['replica', standbyLog]]) {
        const errors = text.split('\n').filter((l) => l.includes(`@${name} ERROR`));
        if (errors.length) log(`${errors.length} ERROR line(s) for ${name} in the ${which}'s log, e.g.:\n  ${errors.slice(0, 3).join('\n  ')}`);
      }
      const bad = badLogLines(servers.map((s) => s.logs()).join('\n'));
      // Expected here: warnings that the replica lags or is down (the test paused and stopped
      // it), and the errors of reads that failed on the stopped replica before they were answered
      // again from the primary (the reads sent while it was down). Nothing else.
      const expected = (l) =>
        !/panicked/i.test(l) && (l.includes(`request_id=${DOWN}`) || (/\bWARN\b/.test(l) && /replica/i.test(l)));
      const unexpected = bad.filter((l) => !expected(l));
      const tolerated = bad.filter(expected);
      if (tolerated.length) {
        log(`${tolerated.length} expected warning/error line(s) about the paused or stopped replica, e.g.:\n  ${tolerated.slice(0, 4).join('\n  ')}`);
      }
      assert.deepEqual(unexpected, [], 'no panic and no other ERROR in the instances’ logs');
    });
    log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    if (paused) await psql('SELECT pg_wal_replay_resume()', standbyAdmin).catch((e) => log(`could not resume replay: ${e.message}`));
    if (standbyStopped) await pgCtl('-l', STANDBY_LOG, '-w', '-t', '60', 'start').catch((e) => log(`could not restart the replica: ${e.message}`));
    for (const s of servers) if (!s.exited) await s.kill9().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    if (/^weihu_rp_[0-9a-f]+$/.test(name)) {
      await psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, primaryAdmin).catch((e) => log(`could not drop ${name}: ${e.message}`));
    }
  }
});
