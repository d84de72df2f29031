import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { build, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { API, book, everyDay, pinNow, slots, workingDoctor } from '../../../test/fixtures/booking.ts';

let app: TestApp;
before(async () => {
  app = await build();
});
after(async () => {
  await app.close();
});

const shift = (date: string, days: number) => DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate()!;
const utc = (date: string, hhmm: string) => `${date}T${hhmm}:00.000Z`;

// 09:00 local must stay 09:00 local the day before, the day of and the day after each change.
const changes = [
  { zone: 'Europe/Berlin', day: '2026-03-29', before: '08:00', after: '07:00' },
  { zone: 'Europe/Berlin', day: '2026-10-25', before: '07:00', after: '08:00' },
  { zone: 'America/New_York', day: '2026-03-08', before: '14:00', after: '13:00' },
  { zone: 'America/New_York', day: '2026-11-01', before: '13:00', after: '14:00' },
  { zone: 'Europe/Berlin', day: '2027-03-28', before: '08:00', after: '07:00' },
  { zone: 'Europe/Berlin', day: '2027-10-31', before: '07:00', after: '08:00' },
  { zone: 'America/New_York', day: '2027-03-14', before: '14:00', after: '13:00' },
  { zone: 'America/New_York', day: '2027-11-07', before: '13:00', after: '14:00' },
];

for (const c of changes) {
  test(`09:00 in ${c.zone} stays 09:00 local across the change of ${c.day}`, async () => {
    pinNow(app, `${shift(c.day, -14)}T00:00:00.000Z`);
    const d = await workingDoctor(app, { timezone: c.zone, weekly: everyDay('09:00', '10:00'), settings: { slotMinutes: 60 } });
    const got = await slots(app, d.id, utc(shift(c.day, -1), '00:00'), utc(shift(c.day, 2), '00:00'));
    assert.deepEqual(got, [utc(shift(c.day, -1), c.before), utc(c.day, c.after), utc(shift(c.day, 1), c.after)]);
    for (const s of got) assert.equal(DateTime.fromISO(s, { zone: c.zone }).toFormat('HH:mm'), '09:00');
  });
}

test('Europe/Berlin spring-forward night: the skipped hour yields no slots, the rule keeps its real 2 hours', async () => {
  pinNow(app, '2026-03-01T00:00:00.000Z');
  const d = await workingDoctor(app, { weekly: [{ weekday: 7, start: '01:00', end: '04:00' }] });
  assert.deepEqual(await slots(app, d.id, '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z'), [
    '2026-03-29T00:00:00.000Z',
    '2026-03-29T00:30:00.000Z',
    '2026-03-29T01:00:00.000Z',
    '2026-03-29T01:30:00.000Z',
  ]);
});

test('a rule starting at a nonexistent local time starts at the moment of the change (02:30 → 03:00 CEST)', async () => {
  pinNow(app, '2026-03-01T00:00:00.000Z');
  const d = await workingDoctor(app, { weekly: [{ weekday: 7, start: '02:30', end: '04:00' }] });
  assert.deepEqual(await slots(app, d.id, '2026-03-29T00:00:00Z', '2026-03-30T00:00:00Z'), [
    '2026-03-29T01:00:00.000Z',
    '2026-03-29T01:30:00.000Z',
  ]);
});

test('Europe/Berlin fall-back night: both runs of the repeated hour are offered, without overlap', async () => {
  pinNow(app, '2026-10-01T00:00:00.000Z');
  const d = await workingDoctor(app, { weekly: [{ weekday: 7, start: '01:00', end: '04:00' }] });
  const got = await slots(app, d.id, '2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z');
  assert.equal(got.length, 8);
  assert.equal(got[0], '2026-10-24T23:00:00.000Z');
  assert.equal(got[7], '2026-10-25T02:30:00.000Z');
  const localTimes = got.map((s) => DateTime.fromISO(s, { zone: 'Europe/Berlin' }).toFormat('HH:mm ZZ'));
  assert.deepEqual(localTimes, [
    '01:00 +02:00',
    '01:30 +02:00',
    '02:00 +02:00',
    '02:30 +02:00',
    '02:00 +01:00',
    '02:30 +01:00',
    '03:00 +01:00',
    '03:30 +01:00',
  ]);
});

test('America/New_York 2027: an ambiguous start takes its first occurrence, a nonexistent one the change', async () => {
  pinNow(app, '2027-02-20T00:00:00.000Z');
  const d = await workingDoctor(app, {
    timezone: 'America/New_York',
    weekly: [
      { weekday: 7, start: '01:30', end: '02:30' },
      { weekday: 7, start: '02:30', end: '03:30' },
    ],
    settings: { maxAdvanceDays: 730 },
  });
  // Spring 2027-03-14: 01:30–02:30 EST ends at the change (07:00Z); 02:30 does not exist, so the second rule is 03:00–03:30 EDT.
  assert.deepEqual(await slots(app, d.id, '2027-03-14T00:00:00Z', '2027-03-15T00:00:00Z'), [
    '2027-03-14T06:30:00.000Z',
    '2027-03-14T07:00:00.000Z',
  ]);
  // Fall 2027-11-07: 01:30 EDT (05:30Z) to 02:30 EST (07:30Z) is two real hours; the rules still abut.
  assert.deepEqual(await slots(app, d.id, '2027-11-07T00:00:00Z', '2027-11-08T00:00:00Z'), [
    '2027-11-07T05:30:00.000Z',
    '2027-11-07T06:00:00.000Z',
    '2027-11-07T06:30:00.000Z',
    '2027-11-07T07:00:00.000Z',
    '2027-11-07T07:30:00.000Z',
    '2027-11-07T08:00:00.000Z',
  ]);
});

test('Asia/Kolkata (+05:30): 09:00 local is 03:30Z, 45-minute slots that do not fit are dropped', async () => {
  pinNow(app, '2027-01-01T00:00:00.000Z');
  const d = await workingDoctor(app, { timezone: 'Asia/Kolkata', weekly: everyDay('09:00', '11:00'), settings: { slotMinutes: 45 } });
  assert.deepEqual(await slots(app, d.id, '2027-01-04T00:00:00Z', '2027-01-05T00:00:00Z'), [
    '2027-01-04T03:30:00.000Z',
    '2027-01-04T04:15:00.000Z',
  ]);
  // Local midnight is 18:30Z the day before: a window starting at UTC midnight still sees the whole local day.
  const late = await workingDoctor(app, { timezone: 'Asia/Kolkata', weekly: everyDay('00:00', '01:00'), settings: { slotMinutes: 60 } });
  assert.deepEqual(await slots(app, late.id, '2027-01-04T00:00:00Z', '2027-01-05T00:00:00Z'), ['2027-01-04T18:30:00.000Z']);
});

test('slots exclude the past, the minimum notice, beyond max advance, time off and booked times', async () => {
  pinNow(app, '2027-01-04T08:10:00.000Z');
  const d = await workingDoctor(app, { settings: { minNoticeMinutes: 60, maxAdvanceDays: 2 } });
  const all = await slots(app, d.id, '2027-01-04T00:00:00Z', '2027-01-08T00:00:00Z');
  assert.equal(all[0], '2027-01-04T09:30:00.000Z', 'past and inside the notice are gone');
  assert.equal(all[all.length - 1], '2027-01-06T08:00:00.000Z', 'nothing beyond now + 2 days');
  const off = await app.request('POST', `${API}/doctors/me/time-off`, {
    token: d.token,
    body: { startsAt: '2027-01-05T10:15:00Z', endsAt: '2027-01-05T11:00:00Z', reason: 'Training' },
  });
  assert.equal(off.status, 201);
  const patient = await createPatient(app);
  const booked = await book(app, patient, d.id, '2027-01-05T09:00:00.000Z');
  assert.equal(booked.status, 201);
  const day = await slots(app, d.id, '2027-01-05T08:00:00Z', '2027-01-05T12:00:00Z');
  assert.deepEqual(day, [
    '2027-01-05T08:00:00.000Z',
    '2027-01-05T08:30:00.000Z',
    '2027-01-05T09:30:00.000Z',
    '2027-01-05T11:00:00.000Z',
    '2027-01-05T11:30:00.000Z',
  ]);
  const cancelled = await app.request('POST', `${API}/appointments/${booked.body.id}/cancel`, { token: patient.token, body: {} });
  assert.equal(cancelled.status, 200);
  assert.ok(
    (await slots(app, d.id, '2027-01-05T08:00:00Z', '2027-01-05T12:00:00Z')).includes('2027-01-05T09:00:00.000Z'),
    'cancelling frees the slot',
  );
  const del = await app.request('DELETE', `${API}/doctors/me/time-off/${off.body.id}`, { token: d.token });
  assert.equal(del.status, 204);
  assert.equal((await slots(app, d.id, '2027-01-05T08:00:00Z', '2027-01-05T12:00:00Z')).length, 8);
});

test('the window defaults to 7 days from now and may not exceed 31 days', async () => {
  pinNow(app, '2027-01-04T00:00:00.000Z');
  const d = await workingDoctor(app, { weekly: everyDay('09:00', '09:30') });
  const def = await app.request('GET', `${API}/doctors/${d.id}/slots`);
  assert.equal(def.status, 200);
  assert.equal(def.body.length, 7);
  const ok = await app.request('GET', `${API}/doctors/${d.id}/slots?from=2027-01-04T00:00:00Z&to=2027-02-04T00:00:00Z`);
  assert.equal(ok.status, 200);
  expectProblem(
    await app.request('GET', `${API}/doctors/${d.id}/slots?from=2027-01-04T00:00:00Z&to=2027-02-04T00:00:01Z`),
    400,
    'VALIDATION_FAILED',
  );
  expectProblem(
    await app.request('GET', `${API}/doctors/${d.id}/slots?from=2027-01-04T00:00:00Z&to=2027-01-04T00:00:00Z`),
    400,
    'VALIDATION_FAILED',
  );
  expectProblem(await app.request('GET', `${API}/doctors/${d.id}/slots?from=yesterday`), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('GET', `${API}/doctors/${d.id}/slots?from=2027-01-04T00:00:00Z&extra=1`), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('GET', `${API}/doctors/not-a-uuid/slots`), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('GET', `${API}/doctors/00000000-0000-4000-8000-000000000000/slots`), 404, 'NOT_FOUND');
});

test('an unverified doctor has no public slots (404)', async () => {
  const pending = await workingDoctor(app, { credentials: 'PENDING' });
  expectProblem(await app.request('GET', `${API}/doctors/${pending.id}/slots`), 404, 'NOT_FOUND');
});

test('slotMinutes is at least 10 on PATCH /doctors/me and PUT availability (400 below, nothing changed)', async () => {
  const d = await workingDoctor(app, { settings: { slotMinutes: 30 } });
  for (const slotMinutes of [5, 9]) {
    expectProblem(await app.request('PATCH', `${API}/doctors/me`, { token: d.token, body: { slotMinutes } }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await app.request('PUT', `${API}/doctors/me/availability`, {
        token: d.token,
        body: { weekly: everyDay('09:00', '10:00'), slotMinutes },
      }),
      400,
      'VALIDATION_FAILED',
    );
  }
  assert.equal((await app.request('GET', `${API}/doctors/me/availability`, { token: d.token })).body.slotMinutes, 30);
  assert.equal((await app.request('PATCH', `${API}/doctors/me`, { token: d.token, body: { slotMinutes: 10 } })).body.slotMinutes, 10);
});

test('a window holding more than 1,000 slots is refused with 400 naming a `to` that fits; that window gives exactly 1,000', async () => {
  pinNow(app, '2026-05-01T00:00:00.000Z');
  const d = await workingDoctor(app, {
    timezone: 'UTC',
    weekly: everyDay('00:00', '24:00'),
    settings: { slotMinutes: 10, maxAdvanceDays: 60 },
  });
  // 31 days of round-the-clock 10-minute slots would be 4,464 slots (330 KB).
  for (const to of ['2026-06-01T00:00:00Z', '2026-05-09T00:00:00Z']) {
    const res = await app.request('GET', `${API}/doctors/${d.id}/slots?from=2026-05-02T00:00:00Z&to=${to}`);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    assert.match(res.body.detail, /more than 1000 slots; narrow it \(to=2026-05-08T22:40:00\.000Z fits\)/);
  }
  const fits = await slots(app, d.id, '2026-05-02T00:00:00Z', '2026-05-08T22:40:00.000Z');
  assert.equal(fits.length, 1000);
  assert.equal(fits[999], '2026-05-08T22:30:00.000Z');
});

test('slot generation is linear in slots + busy intervals: each busy interval is looked at a bounded number of times', async () => {
  const { freeSlots } = await import('./slots.ts');
  let reads = 0;
  const counted = (start: number, end: number) => ({
    get start() {
      reads++;
      return start;
    },
    get end() {
      reads++;
      return end;
    },
  });
  const from = Date.parse('2026-05-01T00:00:00Z');
  // 20,000 busy intervals (10 minutes each, every 2 minutes apart, overlapping) over 31 days of 10-minute slots.
  const busy = Array.from({ length: 20_000 }, (_, i) => counted(from + i * 120_000, from + i * 120_000 + 600_000));
  const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
  const out = freeSlots({
    timezone: 'Europe/Berlin',
    slotMinutes: 10,
    rules,
    from,
    to: from + 31 * 86_400_000,
    now: from,
    minNoticeMinutes: 0,
    maxAdvanceDays: 60,
    busy,
  });
  const candidates = 31 * 144;
  assert.ok(out.length > 0 && out.length < candidates);
  // Sorting costs n log n reads; a scan per slot cost slots × busy (tens of millions here).
  assert.ok(reads < 40 * (candidates + busy.length), `${reads} reads of busy intervals`);
});

test('the slots body written directly is the JSON the response schema serialises (every millisecond width, day edges, leap day)', async () => {
  const { slotsJson } = await import('./free-slots.ts');
  const instants = [
    Date.parse('2026-03-29T00:59:59.999Z'),
    Date.parse('2026-03-29T01:00:00.000Z'),
    Date.parse('2028-02-29T23:50:00.005Z'),
    Date.parse('2027-12-31T23:59:59.050Z'),
    Date.parse('1999-01-01T00:00:00.000Z'),
    Date.parse('2026-11-25T09:30:00.120Z'),
  ];
  const free = instants.map((start) => ({ start, end: start + 30 * 60_000 }));
  const expected = JSON.stringify(free.map((s) => ({ startsAt: new Date(s.start).toISOString(), endsAt: new Date(s.end).toISOString() })));
  assert.equal(slotsJson(free), expected);
  assert.equal(slotsJson([]), '[]');
});
