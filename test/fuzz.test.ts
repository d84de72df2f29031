// A fuzzer driven by the published /openapi.json: for every operation, hostile bodies, queries and path
// parameters, anonymous and with a valid token of each role. Asserts: never a 5xx, never a stack trace or
// SQL in a body, every error is problem+json, and a rejected request leaves the database as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { setTimeout as delay } from 'node:timers/promises';
import { appointmentFixture, build, createAdminUser, createDoctor, createPatient, mailbox, type TestApp } from './helpers.ts';

type Json = any;

// ---------- inputs ----------

/** A plausible value for a schema, the baseline that one mutation at a time is applied to. */
function sample(s: Json, depth = 0): unknown {
  if (!s || depth > 4) return null;
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  if (s.anyOf || s.oneOf) return sample((s.anyOf ?? s.oneOf)[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      if (s.format === 'email') return 'fuzz@example.test';
      if (s.format === 'date') return '1990-01-01';
      if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (s.format === 'uuid') return randomUUID();
      return 'abcdefghijkl'.slice(0, Math.max(s.minLength ?? 1, Math.min(12, s.maxLength ?? 12)));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [sample(s.items, depth + 1)];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<Json>(s.properties ?? {})) out[k] = sample(v, depth + 1);
      return out;
    }
    default:
      return null;
  }
}

const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

/** Whole-body attacks, sent raw. */
function hostileBodies(baseline: Record<string, unknown>): { name: string; raw: string; contentType?: string }[] {
  const base = JSON.stringify(baseline).slice(1, -1);
  const comma = base ? ',' : '';
  return [
    { name: 'truncated JSON', raw: '{"a":' },
    { name: 'not JSON', raw: "{bad json, 'single'}" },
    { name: 'JSON null', raw: 'null' },
    { name: 'JSON array', raw: '[1,2,3]' },
    { name: 'JSON string', raw: '"text"' },
    { name: 'number out of range', raw: '1e999' },
    { name: 'empty object', raw: '{}' },
    { name: 'nesting 5000 deep', raw: deep(5000) },
    { name: '__proto__ key', raw: `{"__proto__":{"role":"ADMIN","isAdmin":true}${comma}${base}}` },
    { name: 'constructor.prototype key', raw: `{"constructor":{"prototype":{"role":"ADMIN"}}${comma}${base}}` },
    { name: 'unknown property', raw: `{${base}${comma}"role":"ADMIN"}` },
    { name: 'duplicate keys', raw: `{${base}${comma}${base}}` },
    { name: 'NUL byte in the raw body', raw: `{${base}${comma}"x\u0000":1}` },
    { name: 'wrong content type', raw: JSON.stringify(baseline), contentType: 'text/plain' },
    { name: 'form encoded', raw: 'a=1&__proto__[role]=ADMIN', contentType: 'application/x-www-form-urlencoded' },
  ];
}

/** Replacement values for one property, by its declared type. */
function propertyMutations(s: Json): { name: string; value: unknown }[] {
  const type = Array.isArray(s?.type) ? s.type[0] : (s?.type ?? (s?.anyOf ? 'string' : 'object'));
  const out: { name: string; value: unknown }[] = [
    { name: 'null', value: null },
    { name: 'nested object', value: { $gt: '', __proto__x: { a: [1, { b: 2 }] } } },
    { name: 'array', value: [[[[['x']]]]] },
  ];
  if (type === 'string') {
    out.push(
      { name: 'number for string', value: 12345 },
      { name: 'huge string', value: 'x'.repeat(120_000) },
      { name: 'null byte', value: 'ab\u0000cd' },
      { name: 'control and bidi characters', value: '\u0007\u001b[31m\u202egnp.exe' },
      { name: 'lone surrogate and emoji', value: '\ud800💊\udfff' },
      { name: 'sql-looking text', value: "x' or '1'='1'; drop table users; --" },
    );
  } else if (type === 'integer' || type === 'number') {
    out.push(
      { name: 'string for number', value: '12' },
      { name: 'huge number', value: 1e308 },
      { name: 'negative', value: -2147483649 },
      { name: 'beyond 2^63', value: 2 ** 64 },
      { name: 'fraction', value: 0.5 },
    );
  } else if (type === 'boolean') {
    out.push({ name: 'string for boolean', value: 'true' }, { name: 'number for boolean', value: 1 });
  } else if (type === 'array') {
    out.push({ name: 'string for array', value: 'x' }, { name: 'thousands of items', value: Array.from({ length: 5000 }, () => ({})) });
  } else {
    out.push({ name: 'string for object', value: 'x' });
  }
  return out;
}

const PATH_VALUES = [
  'not-a-uuid',
  '0',
  '-1',
  '1e999',
  '\u0000',
  "1' or '1'='1",
  'x'.repeat(3000),
  '💊',
  '../../etc/passwd',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '__proto__',
  'constructor',
];
const QUERY_VALUES = [
  '',
  'x'.repeat(6000),
  '\u0000',
  '-1',
  '1e999',
  '99999999999999999999',
  '💊\u202e',
  "' or 1=1--",
  '__proto__',
  '[object Object]',
  '2026-13-45T99:99:99Z',
];

// ---------- checks ----------

const LEAKS: [string, RegExp][] = [
  ['stack frame', /\n\s+at \S|\bat \S+ \(.*:\d+:\d+\)/],
  ['source path', /node_modules|\/src\/|\.ts:\d+|\.js:\d+/],
  ['error class text', /\b(Type|Reference|Range|Syntax)?Error:/],
  ['SQL', /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|syntax error at or near|violates [a-z ]*constraint|relation "/],
];

/**
 * A fingerprint of the database: the contents of every table, except the ones a rejected request may
 * legitimately write or that change on their own. audit_events grows with audited reads and denials
 * (that is its job), audit_chain and audit_chain_head follow it as the sequencer chains it; login_failures grows with every failed login (the throttle's counter); the outbox's
 * rows are updated by the delivery worker in the background, so only its row count is compared.
 */
async function fingerprint(app: TestApp, tables: string[]): Promise<Record<string, string>> {
  const parts = tables.map((t) =>
    t === 'mail_outbox'
      ? sql.raw(`'${t}', (SELECT count(*)::text FROM ${t})`)
      : sql.raw(`'${t}', (SELECT count(*)::text || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${t} x)`),
  );
  const [row] = await app.database.rows<{ f: Record<string, string> }>(sql`SELECT json_build_object(${sql.join(parts, sql`, `)}) AS f`);
  return row.f;
}

/**
 * The first transaction id not yet assigned. Every write to a table takes a transaction id, so when it is
 * the same after a request as before, no table changed and the last fingerprint still holds. Reading it
 * assigns none. On a PostgreSQL server the counter is the cluster's, which other test files move, so there
 * the fingerprint is taken after every rejected request.
 */
async function nextXid(app: TestApp): Promise<string> {
  const [{ x }] = await app.database.rows<{ x: string }>(sql`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x`);
  return x;
}

/**
 * Waits until the forgot-password / resend-verification queue is empty. An accepted request there is handled
 * by a background worker (one transaction: token, mail, audit, row deleted), which must not be mistaken for a
 * change made by the next, rejected request.
 */
async function mailRequestsHandled(app: TestApp): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const [{ n }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM auth_mail_requests`);
    if (n === 0) return;
    await delay(10);
  }
  throw new Error('auth_mail_requests did not drain in 10 s');
}

/** The attacks worth trying under every role; the others rotate through the roles. */
const EVERY_ROLE = new Set(['truncated JSON', 'nesting 5000 deep', '__proto__ key', 'constructor.prototype key', 'unknown property']);

interface Case {
  method: string;
  path: string;
  token?: string;
  who: string;
  raw?: string;
  contentType?: string;
  what: string;
}

test('fuzzing every operation of /openapi.json: no 5xx, no leak, rejected requests change nothing', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);
  const doctor = await createDoctor(app);
  const admin = await createAdminUser(app);
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const roles: [string, string | undefined][] = [
    ['anonymous', undefined],
    ['garbage token', 'x.y.z'],
    ['patient', patient.token],
    ['doctor', doctor.token],
    ['admin', admin.token],
  ];

  const doc = (await app.request('GET', '/openapi.json')).body;
  const cases: Case[] = [];
  let rotate = 0;
  const nextRole = () => roles[rotate++ % roles.length];
  for (const [template, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      const params: Json[] = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const fill = (over: Record<string, string> = {}) =>
        template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(over[name] ?? randomUUID()));
      const M = method.toUpperCase();
      // Path parameters: every hostile value, each with two roles in rotation.
      for (const p of pathParams) {
        for (const v of PATH_VALUES)
          for (const [who, token] of [nextRole(), nextRole()])
            cases.push({
              method: M,
              path: fill({ [p.name]: v }),
              token,
              who,
              what: `path ${p.name}=${JSON.stringify(v.slice(0, 20))}`,
              raw: M === 'GET' ? undefined : '{}',
            });
      }
      // A method the path does not have: 405 with Allow (once per path, anonymous).
      if (method === Object.keys(ops)[0]) {
        const other = ['PUT', 'DELETE', 'PATCH'].find((m) => !Object.keys(ops).includes(m.toLowerCase()));
        if (other) cases.push({ method: other, path: fill(), who: 'anonymous', what: 'unknown method', raw: '{}' });
      }
      // Malformed percent-encoding never reaches a route.
      if (pathParams.length) {
        for (const [who, token] of roles)
          cases.push({
            method: M,
            path: template.replace(/\{(\w+)\}/g, '%E0%A4%A'),
            token,
            who,
            what: 'malformed percent-encoding',
            raw: M === 'GET' ? undefined : '{}',
          });
      }
      // Query parameters: each hostile value, roles in rotation; plus repeated and prototype-polluting keys.
      for (const q of queryParams) {
        for (const v of QUERY_VALUES) {
          const [who, token] = nextRole();
          cases.push({
            method: M,
            path: `${fill()}?${encodeURIComponent(q.name)}=${encodeURIComponent(v)}`,
            token,
            who,
            what: `query ${q.name}=${JSON.stringify(v.slice(0, 20))}`,
          });
        }
        const [who, token] = nextRole();
        cases.push({ method: M, path: `${fill()}?${q.name}=1&${q.name}=2&${q.name}[]=3`, token, who, what: `query ${q.name} repeated` });
      }
      if (queryParams.length) {
        for (const [who, token] of roles)
          cases.push({
            method: M,
            path: `${fill()}?__proto__[role]=ADMIN&constructor[prototype][x]=1&unknownParam=1`,
            token,
            who,
            what: 'query prototype keys',
          });
      }
      // Bodies: the worst whole-body attacks with every role; the rest, and one property at a time, in rotation.
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      const baseline = (sample(schema) ?? {}) as Record<string, unknown>;
      for (const b of hostileBodies(baseline)) {
        for (const [who, token] of EVERY_ROLE.has(b.name) ? roles : [nextRole()])
          cases.push({ method: M, path: fill(), token, who, raw: b.raw, contentType: b.contentType, what: `body: ${b.name}` });
      }
      for (const [prop, propSchema] of Object.entries<Json>(schema.properties ?? {})) {
        for (const m of propertyMutations(propSchema)) {
          const [who, token] = nextRole();
          cases.push({
            method: M,
            path: fill(),
            token,
            who,
            raw: JSON.stringify({ ...baseline, [prop]: m.value }),
            what: `body /${prop}: ${m.name}`,
          });
        }
      }
    }
  }
  t.diagnostic(`${Object.keys(doc.paths).length} paths, ${cases.length} requests`);
  assert.ok(cases.length > 500 && cases.length < 8000, `bounded (the clinical record added 13 operations): ${cases.length} requests`);

  const [{ names }] = await app.database.rows<{ names: string[] }>(sql`
    SELECT coalesce(array_agg(table_name::text ORDER BY table_name), '{}') AS names FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('audit_events', 'audit_chain', 'audit_chain_head', 'login_failures')`);
  await mailRequestsHandled(app);
  // The id is read before the fingerprint: a write between the two only makes the next comparison run.
  let beforeXid = await nextXid(app);
  let before = await fingerprint(app, names);
  let fingerprints = 1;
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (const c of cases) {
    const headers: Record<string, string> = {};
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    if (c.raw !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
    const res = await fetch(app.url + c.path, { method: c.method, headers, body: c.raw });
    const text = await res.text();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const label = `${c.method} ${c.path.slice(0, 120)} [${c.who}] ${c.what} → ${res.status}`;
    if (res.status >= 500) failures.push(`${label}: ${text.slice(0, 300)}`);
    const type = res.headers.get('content-type') ?? '';
    if (/json|text/.test(type)) {
      for (const [leak, re] of LEAKS) if (re.test(text)) failures.push(`${label}: ${leak} in body: ${text.slice(0, 300)}`);
    }
    // Issue 11: every response is nosniff, and every API answer no-store (personal data, errors included).
    if (res.headers.get('x-content-type-options') !== 'nosniff') failures.push(`${label}: no X-Content-Type-Options: nosniff`);
    if (!/no-store/.test(res.headers.get('cache-control') ?? '')) failures.push(`${label}: no Cache-Control: no-store`);
    if (res.status === 405 && !res.headers.get('allow')) failures.push(`${label}: 405 without Allow`);
    if (c.what === 'unknown method' && res.status !== 405) failures.push(`${label}: a known path with another method must answer 405`);
    if (res.status >= 400) {
      if (c.path.startsWith('/fhir/')) {
        // The FHIR API's errors are OperationOutcomes (contract), with the same status codes.
        let outcome = false;
        try {
          outcome = /application\/fhir\+json/.test(type) && JSON.parse(text).resourceType === 'OperationOutcome';
        } catch {
          outcome = false;
        }
        if (!outcome) failures.push(`${label}: FHIR error without an OperationOutcome (${type})`);
      } else if (!/application\/problem\+json/.test(type)) failures.push(`${label}: error without problem+json (${type})`);
      const xid = await nextXid(app);
      if (xid !== beforeXid) {
        // Some transaction wrote (an audited denial, a login failure, the outbox worker, or a defect): compare.
        const after = await fingerprint(app, names);
        fingerprints++;
        const changed = names.filter((n) => after[n] !== before[n]);
        if (changed.length) failures.push(`${label}: rejected request changed ${changed.join(', ')}`);
        before = after;
        beforeXid = xid;
      }
    } else {
      // An accepted request may change data, also through the mail-request worker; the next comparison starts from here.
      await mailRequestsHandled(app);
      beforeXid = await nextXid(app);
      before = await fingerprint(app, names);
      fingerprints++;
    }
    if (failures.length > 20) break;
  }
  t.diagnostic(`${fingerprints} database fingerprints (the others: no transaction wrote)`);
  t.diagnostic(
    `statuses: ${[...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
  );
  assert.deepEqual(failures, []);
  // The prototype-pollution attempts left Object.prototype alone in this process (the server's too: same process).
  assert.equal(({} as Record<string, unknown>).role, undefined);
  assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
});

/** Every `date-time` in the published document: query parameters and top-level body properties, by operation. */
function timestampInputs(doc: Json): { method: string; template: string; where: 'query' | 'body'; name: string; op: Json }[] {
  const out: { method: string; template: string; where: 'query' | 'body'; name: string; op: Json }[] = [];
  for (const [template, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      for (const p of op.parameters ?? [])
        if (p.in === 'query' && p.schema?.format === 'date-time') out.push({ method, template, where: 'query', name: p.name, op });
      const schema = op.requestBody?.content?.['application/json']?.schema;
      for (const [name, s] of Object.entries<Json>(schema?.properties ?? {}))
        if (s.format === 'date-time') out.push({ method, template, where: 'body', name, op });
    }
  }
  return out;
}

test('every timestamp of every operation refuses what no clock can hold (leap second, 31 April, year 0) with 400, never 500', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);
  const doctor = await createDoctor(app);
  const admin = await createAdminUser(app);
  const appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const doc = (await app.request('GET', '/openapi.json')).body;
  const inputs = timestampInputs(doc);
  t.diagnostic(
    `${inputs.length} timestamp inputs: ${inputs.map((i) => `${i.method.toUpperCase()} ${i.template} ${i.where}:${i.name}`).join(', ')}`,
  );
  // The operations known when the leap-second 500s were reported; new ones are found by the walk above.
  for (const known of [
    'get /api/v1/doctors/{doctorId}/slots',
    'post /api/v1/doctors/me/time-off',
    'get /api/v1/doctors/me/time-off',
    'post /api/v1/appointments',
    'get /api/v1/appointments',
    'post /api/v1/appointments/{id}/reschedule',
    'get /api/v1/admin/audit-events',
    'get /api/v1/patients/me/access-log',
  ]) {
    assert.ok(
      inputs.some((i) => `${i.method} ${i.template}` === known),
      `${known} takes a timestamp`,
    );
  }
  const ids: Record<string, string> = { doctorId: doctor.id, id: appointmentId, patientId: patient.id };
  const failures: string[] = [];
  for (const input of inputs) {
    const path = input.template.replace(/\{(\w+)\}/g, (_m, n: string) => ids[n] ?? randomUUID());
    const schema = input.op.requestBody?.content?.['application/json']?.schema;
    for (const bad of [
      '2026-12-31T23:59:60Z',
      '2026-04-31T10:00:00Z',
      '0000-01-01T00:00:00Z',
      '2026-06-30T23:59:60.500+00:00',
      '2026-01-01T24:00:00Z',
    ]) {
      let answered400 = false;
      for (const who of [patient, doctor, admin]) {
        if (answered400) break;
        let res;
        if (input.where === 'query')
          res = await app.request(input.method.toUpperCase(), `${path}?${input.name}=${encodeURIComponent(bad)}`, { token: who.token });
        else
          res = await app.request(input.method.toUpperCase(), path, {
            token: who.token,
            body: { ...(sample(schema) as object), [input.name]: bad },
          });
        if (res.status >= 500)
          failures.push(`${input.method} ${input.template} ${input.name}=${bad} → ${res.status} ${res.text.slice(0, 200)}`);
        if (
          res.status === 400 &&
          res.body?.code === 'VALIDATION_FAILED' &&
          (res.body.errors ?? []).some((e: { path: string; message: string }) => `${e.path} ${e.message}`.includes(input.name))
        )
          answered400 = true;
      }
      if (!answered400)
        failures.push(`${input.method} ${input.template} ${input.name}=${bad}: no role got 400 VALIDATION_FAILED naming the field`);
    }
  }
  assert.deepEqual(failures, []);
});

/** String schemas of a request, with a JSON-pointer-like location, walking objects and arrays. */
function stringSchemas(s: Json, at: string, out: { at: string; s: Json }[] = []): { at: string; s: Json }[] {
  if (!s) return out;
  for (const alt of s.anyOf ?? s.oneOf ?? []) stringSchemas(alt, at, out);
  const type = Array.isArray(s.type) ? s.type : [s.type];
  if (type.includes('string')) out.push({ at, s });
  for (const [k, v] of Object.entries<Json>(s.properties ?? {})) stringSchemas(v, `${at}/${k}`, out);
  if (s.items) stringSchemas(s.items, `${at}/0`, out);
  return out;
}

test('every request string in the OpenAPI document is constrained: a format, an enum or a pattern (no free text reaches SQL unchecked)', async (t) => {
  const app = await build(t);
  const doc = (await app.request('GET', '/openapi.json')).body;
  const loose: string[] = [];
  let checked = 0;
  for (const [template, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      const where = `${method.toUpperCase()} ${template}`;
      const found = [
        ...(op.parameters ?? []).flatMap((p: Json) => stringSchemas(p.schema, `${p.in}:${p.name}`)),
        ...stringSchemas(op.requestBody?.content?.['application/json']?.schema, 'body'),
      ];
      for (const { at, s } of found) {
        checked++;
        // Passwords are hashed, never stored or compared as text: any character is theirs to choose.
        if (/password/i.test(at)) continue;
        if (!s.format && !s.enum && s.const === undefined && !s.pattern) loose.push(`${where} ${at}`);
      }
    }
  }
  t.diagnostic(`${checked} request strings checked`);
  assert.ok(checked > 40);
  assert.deepEqual(loose, []);
});

test('single-line text refuses every control character; multi-line text allows LF and CR LF only (400, nothing written)', async (t) => {
  const app = await build(t);
  const { patientBody, expectProblem } = await import('./helpers.ts');
  const patient = await createPatient(app);
  const controls = ['\n', '\r', '\r\n', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u2028'];
  for (const c of controls) {
    for (const field of ['firstname', 'lastname', 'username']) {
      expectProblem(
        await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody({ [field]: `Jane${c}Rx 2. Oxycodone` }) }),
        400,
        'VALIDATION_FAILED',
      );
    }
    // A NUL (or any control) in `login` is a schema violation, not a database error or a failed login.
    expectProblem(
      await app.request('POST', '/api/v1/auth/login', { body: { login: `a${c}b`, password: 'whatever-long' } }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await app.request('GET', `/api/v1/doctors?q=${encodeURIComponent(`a${c}b`)}`), 400, 'VALIDATION_FAILED');
  }
  for (const c of ['\r', '\t', '\u0000', '\u001b', '\u007f', '\u0085']) {
    expectProblem(
      await app.request('PATCH', '/api/v1/patients/me', { token: patient.token, body: { medicalHistory: `Asthma${c}since 2001` } }),
      400,
      'VALIDATION_FAILED',
    );
  }
  for (const ok of ['Asthma\nsince 2001', 'Asthma\r\nsince 2001\n\nPollen']) {
    const res = await app.request('PATCH', '/api/v1/patients/me', { token: patient.token, body: { medicalHistory: ok } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.medicalHistory, ok);
  }
  const [{ n }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE firstname LIKE 'Jane%'`);
  assert.equal(n, 0);
  // Mail to an address nobody has proven yet carries nothing the registrant chose: no name.
  const body = patientBody({ firstname: 'Mallory', lastname: 'Forger' });
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body })).status, 201);
  const mail = await mailbox.waitFor(body.email, /verif/i);
  assert.doesNotMatch(`${mail.subject}\n${mail.text}`, /Mallory|Forger/);
});
