// The shipped coturn configuration (deploy/coturn/turnserver.conf), exactly as shipped: a visit
// participant's TURN credentials open a relay to public unicast addresses only. Every special-purpose
// range (IPv4 and IPv6) and loopback is refused a permission, and no TCP relay is allocated.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { coturnInstalled, startCoturn, type Coturn } from './fixtures/coturn.ts';
import { TurnClient } from './fixtures/turn-client.ts';
import { turnCredential } from '../src/modules/visits/ice.ts';

/** One address inside each denied range, its first and its last (a range's ends are where an off-by-one hides). */
const DENIED_V4 = [
  ['0.0.0.0/8', '0.0.0.1', '0.255.255.255'],
  ['10.0.0.0/8', '10.0.0.1', '10.255.255.255'],
  ['100.64.0.0/10', '100.64.0.1', '100.127.255.255'],
  ['127.0.0.0/8', '127.0.0.1', '127.255.255.254'],
  ['169.254.0.0/16 (cloud metadata)', '169.254.169.254', '169.254.255.255'],
  ['172.16.0.0/12', '172.16.0.1', '172.31.255.255'],
  ['192.0.0.0/24', '192.0.0.1', '192.0.0.255'],
  ['192.0.2.0/24', '192.0.2.1', '192.0.2.255'],
  ['192.88.99.0/24', '192.88.99.1', '192.88.99.255'],
  ['192.168.0.0/16', '192.168.0.1', '192.168.255.255'],
  ['198.18.0.0/15', '198.18.0.1', '198.19.255.255'],
  ['198.51.100.0/24', '198.51.100.1', '198.51.100.255'],
  ['203.0.113.0/24', '203.0.113.1', '203.0.113.255'],
  ['224.0.0.0/4', '224.0.0.1', '239.255.255.255'],
  ['240.0.0.0/4', '240.0.0.1', '255.255.255.254'],
  ['255.255.255.255/32', '255.255.255.255', '255.255.255.255'],
] as const;

const DENIED_V6 = [
  ['::1/128', '::1', '::1'],
  ['::/128', '::', '::'],
  ['::ffff:0:0/96', '::ffff:a9fe:a9fe', '::ffff:7f00:1'],
  ['64:ff9b::/96', '64:ff9b::a00:1', '64:ff9b::ffff:ffff'],
  ['64:ff9b:1::/48', '64:ff9b:1::1', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'],
  ['100::/64', '100::1', '100::ffff:ffff:ffff:ffff'],
  ['2001::/23', '2001::1', '2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2001:db8::/32', '2001:db8::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['2002::/16', '2002:a00:1::1', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fc00::/7', 'fc00::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['fe80::/10', 'fe80::1', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['ff00::/8', 'ff02::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
] as const;

/** Public unicast addresses just outside the denied ranges: a relay that refused everything would pass nothing here. */
const ALLOWED_V4 = [
  '1.1.1.1',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
];
const ALLOWED_V6 = ['2606:4700:4700::1111', '2001:200::1', '2003::1', 'fbff:ffff::1'];

const skip = coturnInstalled() ? false : 'turnserver is not installed (apt-get install coturn; .ci/run does)';
let coturn: Coturn;
before(async () => {
  if (!skip) coturn = await startCoturn({ loopbackPeers: false, ipv6: true });
});
after(async () => {
  await coturn?.stop();
});

function client(): TurnClient {
  const { username, credential } = turnCredential(
    coturn.secret,
    '00000000-0000-4000-8000-000000000001',
    Math.floor(Date.now() / 1000) + 600,
  );
  return new TurnClient({ host: '127.0.0.1', port: coturn.port }, username, credential);
}

test('IPv4: a permission to every special-purpose range and loopback is refused (403), to public addresses granted', { skip }, async () => {
  const c = client();
  try {
    const alloc = await c.allocate({ family: 4 });
    assert.ok(alloc.ok, `allocate: ${alloc.code} ${alloc.reason}`);
    for (const [range, ...ips] of DENIED_V4) {
      for (const ip of ips) {
        const res = await c.createPermission(ip);
        assert.equal(res.code, 403, `${ip} (${range}) must be refused, got ${res.ok ? 'a permission' : `${res.code} ${res.reason}`}`);
      }
    }
    for (const ip of ALLOWED_V4) {
      const res = await c.createPermission(ip);
      assert.ok(res.ok, `${ip} must be allowed, got ${res.code} ${res.reason}`);
    }
  } finally {
    c.close();
  }
});

test('IPv6: a permission to every special-purpose range and loopback is refused (403), to public addresses granted', { skip }, async () => {
  const c = client();
  try {
    const alloc = await c.allocate({ family: 6 });
    assert.ok(alloc.ok, `allocate: ${alloc.code} ${alloc.reason}`);
    for (const [range, ...ips] of DENIED_V6) {
      for (const ip of ips) {
        const res = await c.createPermission(ip);
        assert.equal(res.code, 403, `${ip} (${range}) must be refused, got ${res.ok ? 'a permission' : `${res.code} ${res.reason}`}`);
      }
    }
    for (const ip of ALLOWED_V6) {
      const res = await c.createPermission(ip);
      assert.ok(res.ok, `${ip} must be allowed, got ${res.code} ${res.reason}`);
    }
  } finally {
    c.close();
  }
});

test('no TCP relay: a TCP allocation is refused (442 Unsupported Transport Protocol)', { skip }, async () => {
  const c = client();
  try {
    const res = await c.allocate({ transport: 'tcp' });
    assert.equal(res.code, 442, `got ${res.ok ? 'an allocation' : `${res.code} ${res.reason}`}`);
  } finally {
    c.close();
  }
});

test('expired or forged credentials are refused (401)', { skip }, async () => {
  const userId = '00000000-0000-4000-8000-000000000002';
  const expired = turnCredential(coturn.secret, userId, Math.floor(Date.now() / 1000) - 1);
  const forged = turnCredential('not-the-secret', userId, Math.floor(Date.now() / 1000) + 600);
  for (const cred of [expired, forged]) {
    const c = new TurnClient({ host: '127.0.0.1', port: coturn.port }, cred.username, cred.credential);
    try {
      const res = await c.allocate();
      assert.equal(res.code, 401, `got ${res.ok ? 'an allocation' : `${res.code} ${res.reason}`}`);
    } finally {
      c.close();
    }
  }
});

test("credentials stop working at their expiry (the visit's close, or sooner): no new relay is allocated with them", { skip }, async () => {
  const expiry = Math.floor(Date.now() / 1000) + 2;
  const cred = turnCredential(coturn.secret, '00000000-0000-4000-8000-000000000003', expiry);
  const first = new TurnClient({ host: '127.0.0.1', port: coturn.port }, cred.username, cred.credential);
  const again = new TurnClient({ host: '127.0.0.1', port: coturn.port }, cred.username, cred.credential);
  try {
    const alloc = await first.allocate();
    assert.ok(alloc.ok, `allocate: ${alloc.code} ${alloc.reason}`);
    // coturn compares the expiry with its own (real) clock, in whole seconds: wait for that clock, not for an event.
    while (Date.now() / 1000 < expiry + 1.2) await new Promise((r) => setTimeout(r, 200));
    const res = await again.allocate();
    assert.equal(res.code, 401, `got ${res.ok ? 'an allocation' : `${res.code} ${res.reason}`}`);
  } finally {
    first.close();
    again.close();
  }
});
