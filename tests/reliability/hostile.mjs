// Hostile input against the real binary: requests that once took Weihu down or filled its disk
// or memory (issue #11), each sent to `weihu serve --demo` on SQLite and PostgreSQL. For every
// case the test records the answer, and the server's peak memory (VmHWM) and database size
// before and after; it fails when the server answers 5xx, stops answering, or grows past the
// bounds below. RELIABILITY.md ("Hostile input") shows a run.
//
//   WEIHU_BIN=target/debug/weihu node --test tests/reliability/hostile.mjs
//
// Environment: WEIHU_BIN, WEIHU_PG_ADMIN (see lib.mjs); WEIHU_HOSTILE_BACKENDS (sqlite,postgres);
// WEIHU_HOSTILE_SUMMARY (write the table as JSON to this file).

import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { api, createToken, freshBackend, log, psql, startServer, wantPostgres } from './lib.mjs';

const BACKENDS = (process.env.WEIHU_HOSTILE_BACKENDS || 'sqlite,postgres').split(',').map((s) => s.trim());
/** The server's peak resident memory may not pass this during the whole run. */
const MAX_PEAK_RSS_MB = 600;
/** Twenty 400,000-character usernames once added 16 MB; now nothing of them may be kept. */
const MAX_LOGIN_GROWTH_KB = 512;

const rows = [];

after(() => {
  if (rows.length === 0) return;
  const lines = ['', 'hostile input summary', 'backend   case                                   answers          RSS MB before→after  DB KB before→after'];
  for (const r of rows) {
    lines.push(
      `${r.backend.padEnd(9)} ${r.name.padEnd(38)} ${r.answers.padEnd(16)} ${`${r.rss_before}→${r.rss_after}`.padStart(19)}  ${`${r.db_before}→${r.db_after}`.padStart(18)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.env.WEIHU_HOSTILE_SUMMARY) writeFileSync(process.env.WEIHU_HOSTILE_SUMMARY, JSON.stringify(rows, null, 2));
});

// ---------------------------------------------------------------------------------------------
// Hostile files

/** A zip archive of `files` ({name, data: Buffer, deflate}), written by hand: no npm package. */
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const body = f.deflate ? zlib.deflateRawSync(f.data, { level: 9 }) : f.data;
    const crc = zlib.crc32(f.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(f.deflate ? 8 : 0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A minimal .xlsx whose only sheet has the given XML (`<sheetData>` content and more). */
function xlsx(sheetXml, { sharedStrings } = {}) {
  const b = (s) => Buffer.from(s, 'utf8');
  const files = [
    {
      name: '[Content_Types].xml',
      data: b(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
          '<Default Extension="xml" ContentType="application/xml"/>' +
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
          (sharedStrings ? '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' : '') +
          '</Types>',
      ),
    },
    {
      name: '_rels/.rels',
      data: b(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
      ),
    },
    {
      name: 'xl/workbook.xml',
      data: b(
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
          '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: b(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
          (sharedStrings ? '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' : '') +
          '</Relationships>',
      ),
    },
    { name: 'xl/worksheets/sheet1.xml', data: typeof sheetXml === 'string' ? b(sheetXml) : sheetXml, deflate: true },
  ];
  if (sharedStrings) files.push({ name: 'xl/sharedStrings.xml', data: sharedStrings, deflate: true });
  return zip(files);
}

const SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">';

/** Cells at A1 and XFD1048576 only: calamine once allocated the whole 16384 × 1048576 grid. */
const sparseWorkbook = () =>
  xlsx(
    `${SHEET_HEAD}<dimension ref="A1:XFD1048576"/><sheetData>` +
      '<row r="1"><c r="A1" t="inlineStr"><is><t>tag</t></is></c></row>' +
      '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>' +
      '</sheetData></worksheet>',
  );

/** A sheet whose XML inflates to ~300 MB of empty rows from a few hundred KB. */
function zipBombWorkbook() {
  const row = Buffer.from('<row><c t="inlineStr"><is><t>a</t></is></c></row>');
  const rowsBuf = Buffer.alloc(row.length * 6_000_000);
  for (let i = 0; i < 6_000_000; i++) row.copy(rowsBuf, i * row.length);
  const sheet = Buffer.concat([Buffer.from(`${SHEET_HEAD}<sheetData>`), rowsBuf, Buffer.from('</sheetData></worksheet>')]);
  return xlsx(sheet);
}

/** 2,000,000 shared strings referenced by nothing. */
function sharedStringsWorkbook() {
  const n = 2_000_000;
  const one = Buffer.from('<si><t>打印机</t></si>');
  const body = Buffer.alloc(one.length * n);
  for (let i = 0; i < n; i++) one.copy(body, i * one.length);
  const sst = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${n}" uniqueCount="${n}">`),
    body,
    Buffer.from('</sst>'),
  ]);
  return xlsx(`${SHEET_HEAD}<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`, { sharedStrings: sst });
}

/** 100,000 nested elements inside one cell. */
const deepWorkbook = () =>
  xlsx(`${SHEET_HEAD}<sheetData><row r="1"><c r="A1" t="inlineStr"><is>${'<r>'.repeat(100_000)}${'</r>'.repeat(100_000)}</is></c></row></sheetData></worksheet>`);

/** A PNG header declaring a 65535 × 65535 RGBA canvas (16 GB decoded), with a valid CRC. */
function pngBomb() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(65535, 0);
  ihdr.writeUInt32BE(65535, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(6, 9);
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const idat = zlib.deflateSync(Buffer.alloc(200_000));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

// ---------------------------------------------------------------------------------------------
// Measurements

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((status.match(new RegExp(`${k}:\\s+(\\d+)`)) || [0, 0])[1]);
  return { now: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

function dirKb(dir) {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const st = statSync(join(dir, f));
    total += st.isDirectory() ? dirKb(join(dir, f)) * 1024 : st.size;
  }
  return Math.round(total / 1024);
}

async function dbKb(backend) {
  if (backend.kind === 'sqlite') return dirKb(backend.dataDir);
  const out = await psql(`SELECT pg_database_size('${backend.name}')`);
  return Math.round(Number(out.trim().split('\n').find((l) => /^\s*\d+\s*$/.test(l)) || 0) / 1024);
}

async function send(base, token, method, path, { body, json, headers = {}, timeoutMs = 120_000 } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    h['content-type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const res = await fetch(base + path, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

// ---------------------------------------------------------------------------------------------

for (const kind of BACKENDS) {
  test(`hostile input on ${kind}: no request takes the server down`, { timeout: 900_000 }, async (t) => {
    if (kind === 'postgres' && !(await wantPostgres())) return t.skip('no PostgreSQL');
    const backend = await freshBackend(kind);
    const server = await startServer(backend, { demo: true, label: `weihu (${kind})` });
    try {
      const base = server.url;
      const client = await createToken(backend, 'wu.li', 'hostile');
      const desk = await createToken(backend, 'wang.fang', 'hostile');
      const admin = await createToken(backend, 'zhou.jg', 'hostile');
      const alive = async () => {
        const r = await send(base, null, 'GET', '/healthz', { timeoutMs: 30_000 });
        assert.equal(r.status, 200, 'the server still answers /healthz');
      };

      const measure = async (name, fn) => {
        const before = { rss: rssMb(server.pid), db: await dbKb(backend) };
        const statuses = await fn();
        await alive();
        const afterRss = rssMb(server.pid);
        const row = {
          backend: kind,
          name,
          answers: summarise(statuses),
          rss_before: before.rss.now,
          rss_after: afterRss.now,
          rss_peak: afterRss.peak,
          db_before: before.db,
          db_after: await dbKb(backend),
        };
        rows.push(row);
        log(`[${kind}] ${name}: ${row.answers}; RSS ${row.rss_before}→${row.rss_after} MB (peak ${row.rss_peak}); DB ${row.db_before}→${row.db_after} KB`);
        for (const s of statuses) assert.ok(s < 500, `${name}: answered ${s}`);
        assert.ok(afterRss.peak < MAX_PEAK_RSS_MB, `${name}: peak RSS ${afterRss.peak} MB`);
        return row;
      };

      const upload = (token, file, name = 'a.xlsx') =>
        send(base, token, 'POST', `/api/v1/assets/import?filename=${name}`, {
          body: file,
          headers: { 'content-type': 'application/octet-stream' },
        }).then((r) => r.status);

      // 1. Spreadsheet bombs, as a client user (refused before parsing) and as the desk.
      await measure('sparse xlsx (A1 + XFD1048576), client user', async () => [await upload(client, sparseWorkbook())]);
      await measure('sparse xlsx (A1 + XFD1048576), dispatcher', async () => [await upload(desk, sparseWorkbook())]);
      await measure('zip bomb xlsx (300 MB sheet XML)', async () => [await upload(desk, zipBombWorkbook())]);
      await measure('2,000,000 shared strings', async () => [await upload(desk, sharedStringsWorkbook())]);
      await measure('100,000 nested XML elements', async () => [await upload(desk, deepWorkbook())]);

      // 2. Twenty anonymous sign-ins with 400,000-character usernames.
      const login = await measure('20 logins, 400,000-char usernames', async () => {
        const out = [];
        for (let i = 0; i < 20; i++) {
          const page = await send(base, null, 'GET', '/login');
          const cookie = (page.headers.get('set-cookie') || '').split(';')[0];
          const csrf = (page.text.match(/name="csrf" value="([^"]+)"/) || [])[1] || '';
          const form = new URLSearchParams({ username: `${'x'.repeat(400_000)}${i}`, password: 'wrong', csrf, next: '' });
          const r = await send(base, null, 'POST', '/login', {
            body: form.toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: base },
          });
          out.push(r.status);
        }
        return out;
      });
      assert.ok(login.db_after - login.db_before < MAX_LOGIN_GROWTH_KB, `login bodies grew the database by ${login.db_after - login.db_before} KB`);

      // 3. Invented HTTP methods must not become metrics labels.
      await measure('200 invented HTTP methods', async () => {
        const out = [];
        for (let i = 0; i < 200; i++) out.push((await send(base, null, `BREW${i}`, `/x/${i}`)).status);
        const metrics = await send(base, null, 'GET', '/metrics');
        assert.ok(!metrics.text.includes('BREW1'), 'an invented method is not a label');
        assert.ok(!metrics.text.includes('/x/1'), 'a raw path is not a label');
        assert.ok(metrics.text.length < 200_000, `/metrics is ${metrics.text.length} bytes`);
        return out;
      });

      // 4. A label sheet of 5,000 duplicate ids.
      const assets = JSON.parse((await send(base, desk, 'GET', '/api/v1/assets?limit=1')).text);
      const assetId = assets.items[0].id;
      await measure('label sheet, 5,000 duplicate ids', async () => [
        (await send(base, desk, 'POST', '/api/v1/assets/labels', { json: { ids: Array(5000).fill(assetId) } })).status,
      ]);

      // 5. Open redirects.
      await measure('open redirect via /language and /login', async () => {
        const out = [];
        for (const next of ['/%09/evil.example', '//evil.example', '/\\evil.example', '/%0d%0aSet-Cookie:x=1']) {
          const r = await send(base, null, 'GET', `/language?lang=en&next=${next}`);
          out.push(r.status);
          const loc = r.headers.get('location') || '';
          assert.ok(!/evil\.example/.test(decodeURIComponent(loc.replace(/%(?![0-9a-f]{2})/gi, ''))), `redirected to ${loc}`);
        }
        return out;
      });

      // 6. A client comments long Chinese text on its own order again and again; the desk can
      //    still comment afterwards (PostgreSQL's tsvector limit once made every write fail).
      const me = JSON.parse((await send(base, client, 'GET', '/api/v1/me')).text);
      const created = await send(base, client, 'POST', '/api/v1/orders', {
        json: {
          client_org_id: me.org_id ?? me.organization_id ?? me.organization?.id,
          requester_name: '测试',
          requester_phone: '021-0000 0000',
          category: 'hardware',
          urgency: 'medium',
          impact: 'medium',
          subject: '敌意测试 打印机 hostile',
          description: '打印机无法打印',
        },
      });
      assert.equal(created.status, 201, created.text.slice(0, 300));
      const order = JSON.parse(created.text);
      // `${i} ` + 19,998 characters: each comment is exactly the 20,000-character maximum.
      const long = Array.from({ length: 19_998 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000))).join('');
      await measure('6 × 20,000-char Chinese comments, then the desk', async () => {
        const out = [];
        for (let i = 0; i < 6; i++) out.push((await send(base, client, 'POST', `/api/v1/orders/${order.id}/comments`, { json: { body: `${i} ${long}` } })).status);
        out.push((await send(base, desk, 'POST', `/api/v1/orders/${order.id}/comments`, { json: { body: '已收到 received', public: false } })).status);
        assert.ok(out.every((s) => s >= 200 && s < 300), `every comment is taken: ${out}`);
        return out;
      });

      // 7. A drawn signature that declares a 65535 × 65535 canvas: refused where it is stored.
      await measure('signature PNG declaring 65535 × 65535', async () => [
        (
          await send(base, admin, 'POST', `/api/v1/orders/${order.id}/signature`, {
            json: { signer_name: '测试', image_png_base64: pngBomb().toString('base64') },
          })
        ).status,
      ]);
    } finally {
      await server.stop?.();
      await backend.drop();
    }
  });
}

function summarise(statuses) {
  const counts = new Map();
  for (const s of statuses) counts.set(s, (counts.get(s) || 0) + 1);
  return [...counts].map(([s, n]) => (n > 1 ? `${n}× ${s}` : String(s))).join(', ');
}
