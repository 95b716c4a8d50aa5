// Shared helpers for the reliability tests (crash.mjs, two_instances.mjs): start and kill
// `weihu serve` processes on SQLite or on a fresh PostgreSQL database, run the CLI, talk JSON.
//
// Environment:
//   WEIHU_BIN        the `weihu` binary (default target/debug/weihu under the repository root)
//   WEIHU_PG_ADMIN   PostgreSQL URL used to create and drop the test databases
//                    (default $WEIHU_TEST_PG, else postgres://postgres@127.0.0.1:5432/postgres)
//
// Databases are named weihu_h_<random> and dropped at the end (scripts/ensure-postgres only
// cleans up weihu_t_*, so this prefix never collides with the Rust tests' databases).

import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../..');
export const DEMO_PASSWORD = 'weihu-demo';
export const ADMIN_PASSWORD = 'admin-pass-123';

/** Demo seeding hashes ~18 passwords; on a busy 2-core machine with a debug build that is slow. */
const START_TIMEOUT_MS = Number(process.env.WEIHU_START_TIMEOUT_MS || 180_000);

/** Servers still running: SIGKILLed when this process exits, whatever happened. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});

export function weihuBin() {
  const bin = process.env.WEIHU_BIN ? resolve(process.env.WEIHU_BIN) : join(ROOT, 'target/debug/weihu');
  if (!existsSync(bin)) throw new Error(`weihu binary not found at ${bin} (set WEIHU_BIN)`);
  return bin;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(...args) {
  const t = new Date().toISOString().slice(11, 23);
  process.stderr.write(`[${t}] ${args.join(' ')}\n`);
}

// ---------------------------------------------------------------------------------------------
// Backends

const PG_ADMIN =
  process.env.WEIHU_PG_ADMIN || process.env.WEIHU_TEST_PG || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Run psql against the admin database; resolves with stdout. */
export function psql(sql, url = PG_ADMIN) {
  return new Promise((res, rej) => {
    execFile(
      'psql',
      ['-X', '-w', '-qAt', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '5' }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? rej(new Error(`psql: ${err.message}\n${stderr}`)) : res(stdout.trim())),
    );
  });
}

/** Whether a PostgreSQL server answers at WEIHU_PG_ADMIN. */
export async function pgAvailable() {
  try {
    await psql('select 1');
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL: skipped when nothing answers, except under CI=true where that is a failure. */
export async function wantPostgres() {
  if (await pgAvailable()) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but no PostgreSQL answers at ${PG_ADMIN}`);
  log(`no PostgreSQL at ${PG_ADMIN}: skipping the PostgreSQL part`);
  return false;
}

/** The URL of database `name` on the same server as WEIHU_PG_ADMIN. */
function pgUrlFor(name) {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A backend for one test: `{ kind, env, dataDir, url?, name?, drop() }`. SQLite lives in a fresh
 * temp dir; PostgreSQL in a fresh database weihu_h_<random> with a UTF-8 ctype.
 */
export async function freshBackend(kind) {
  const dataDir = mkdtempSync(join(tmpdir(), 'weihu-rel-'));
  if (kind === 'sqlite') {
    return {
      kind,
      dataDir,
      env: {},
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `weihu_h_${randomBytes(6).toString('hex')}`;
  await psql(
    `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
  );
  const url = pgUrlFor(name);
  return {
    kind,
    dataDir,
    name,
    url,
    env: { DATABASE_URL: url },
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      if (!/^weihu_h_[0-9a-f]+$/.test(name)) return;
      await psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((e) => log(`could not drop ${name}: ${e.message}`));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

/** The environment for a weihu process on `backend` (an inherited DATABASE_URL never leaks in). */
function envFor(backend, extra = {}) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.WEIHU_DATABASE_URL;
  delete env.WEIHU_DATA_DIR;
  return { ...env, WEIHU_ADMIN_PASSWORD: ADMIN_PASSWORD, ...backend.env, ...extra };
}

/** Run a `weihu` subcommand on `backend`; resolves with { code, stdout, stderr }. */
export function cli(backend, args, { timeoutMs = 180_000 } = {}) {
  return new Promise((res) => {
    execFile(
      weihuBin(),
      ['--data-dir', backend.dataDir, ...args],
      {
        env: envFor(backend, { WEIHU_LOG: 'warn' }),
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => res({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `weihu admin token create --user USER`: the token, printed alone on stdout. */
export async function createToken(backend, user, name = 'reliability') {
  const r = await cli(backend, ['admin', 'token', 'create', '--user', user, '--name', name]);
  const token = r.stdout.match(/wh_[A-Za-z0-9_-]+/)?.[0];
  if (r.code !== 0 || !token) throw new Error(`token create for ${user} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return token;
}

/**
 * Start `weihu serve` on `backend` (with `--demo` if asked) and wait until it prints its address.
 * Returns { url, pid, logs(), exited, kill9(), stop() }.
 */
export async function startServer(backend, { demo = false, label = 'weihu' } = {}) {
  const bin = weihuBin();
  const args = ['--data-dir', backend.dataDir, 'serve', '--bind', '127.0.0.1:0'];
  if (demo) args.push('--demo');
  const child = spawn(bin, args, {
    env: envFor(backend),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const output = [];
  const logs = () => output.join('\n');
  let exited = null;
  const exitPromise = new Promise((r) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      r(exited);
    }),
  );
  const url = await new Promise((res, rej) => {
    let done = false;
    const finish = (fn, v) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        fn(v);
      }
    };
    const timer = setTimeout(
      () => finish(rej, new Error(`${label} did not print its address within ${START_TIMEOUT_MS} ms\n${logs()}`)),
      START_TIMEOUT_MS,
    );
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          // eslint-disable-next-line no-control-regex
          const line = buf.slice(0, nl).replace(/\x1b\[[0-9;]*m/g, '');
          buf = buf.slice(nl + 1);
          output.push(line);
          if (output.length > 2000) output.shift();
          const m = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
          if (m) finish(res, m[1]);
        }
      });
    }
    child.on('error', (e) => finish(rej, new Error(`cannot start ${bin}: ${e.message}`)));
    exitPromise.then(({ code, signal }) =>
      finish(rej, new Error(`${label} exited before listening (code ${code}, signal ${signal})\n${logs()}`)),
    );
  }).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    url,
    pid: child.pid,
    logs,
    get exited() {
      return exited;
    },
    /** SIGKILL, as a power cut would: no shutdown code runs. Resolves when the process is gone. */
    async kill9() {
      if (exited) return exited;
      process.kill(child.pid, 'SIGKILL');
      return exitPromise;
    },
    /** SIGTERM (graceful), then SIGKILL after 10 s. */
    async stop() {
      if (exited) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(t);
      return exited;
    },
  };
}

/** Lines of a server's log that show a panic or an internal error. */
export function badLogLines(logs) {
  return logs
    .split('\n')
    .filter((l) => /panicked|\bERROR\b|internal error/i.test(l));
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * JSON request. Resolves with { status, body, text, headers } for any HTTP answer; rejects on a network error
 * (connection refused or reset: the server is gone) or after `timeoutMs`.
 */
export async function api(base, token, method, path, body, { timeoutMs = 60_000, headers = {} } = {}) {
  const h = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

/** GET that must answer 200; returns the JSON body. */
export async function get200(base, token, path) {
  const r = await api(base, token, 'GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text.slice(0, 500)}`);
  return r.body;
}

/** Every item of a paged list (`limit`/`offset`, `{items,total,next}`). */
export async function listAll(base, token, path) {
  const items = [];
  const sep = path.includes('?') ? '&' : '?';
  let offset = 0;
  for (;;) {
    const page = await get200(base, token, `${path}${sep}limit=500&offset=${offset}`);
    items.push(...page.items);
    if (page.next === null || page.next === undefined || page.items.length === 0) break;
    offset = typeof page.next === 'number' ? page.next : offset + page.items.length;
  }
  return items;
}

/** Run `fn` over `items` with at most `n` in flight. */
export async function pool(items, n, fn) {
  const out = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k], k);
      }
    }),
  );
  return out;
}
