// Named API tokens and the audit log on both engines: a token is stored as its digest only, found again
// by the token itself, refused once revoked; audit lines come back oldest first, the latest N.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { redact } from '../../src/domain/redaction.js';
import {
  createApiToken,
  findApiToken,
  hasAdminToken,
  listApiTokens,
  revokeApiToken,
} from '../../src/store/api-tokens.js';
import { listAudit, recordAudit } from '../../src/store/audit.js';
import { InvalidInputError, NotFoundError } from '../../src/store/errors.js';
import { storeTest } from './engines.js';

storeTest('a token is stored as its digest, found by itself, refused once revoked', async (store) => {
  assert.equal(await hasAdminToken(store), false);
  const viewer = await createApiToken(store, 'dashboard-wall', 'viewer', new Date('2026-12-01T10:00:00Z'));
  const admin = await createApiToken(store, 'platform-team', 'admin');
  assert.match(viewer, /^bl_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(viewer, admin);
  assert.equal(await hasAdminToken(store), true);

  const rows = await store.db.selectFrom('api_tokens').selectAll().execute();
  const stored = JSON.stringify(rows);
  assert.ok(!stored.includes(viewer) && !stored.includes(admin), 'a token is stored as it is');
  assert.ok(stored.includes(createHash('sha256').update(viewer).digest('hex')));

  assert.deepEqual(await findApiToken(store, viewer), { name: 'dashboard-wall', role: 'viewer' });
  assert.deepEqual(await findApiToken(store, admin), { name: 'platform-team', role: 'admin' });
  assert.equal(await findApiToken(store, `${viewer.slice(0, -1)}x`), null);
  assert.equal(await findApiToken(store, createHash('sha256').update(viewer).digest('hex')), null);
  assert.deepEqual(await listApiTokens(store), [
    { name: 'dashboard-wall', role: 'viewer', created_at: '2026-12-01T10:00:00.000Z' },
    {
      name: 'platform-team',
      role: 'admin',
      created_at: rows.find((r) => r.name === 'platform-team')?.created_at,
    },
  ]);
  // Made in this process: never printed by anything that redacts.
  assert.equal(redact(`Bearer ${viewer}`), 'Bearer ***');

  await assert.rejects(createApiToken(store, 'dashboard-wall', 'admin'), InvalidInputError);
  await assert.rejects(createApiToken(store, 'no spaces', 'admin'), InvalidInputError);
  await revokeApiToken(store, 'dashboard-wall');
  assert.equal(await findApiToken(store, viewer), null);
  await assert.rejects(revokeApiToken(store, 'dashboard-wall'), NotFoundError);
  // The name is free again, for a new token.
  const again = await createApiToken(store, 'dashboard-wall', 'viewer');
  assert.notEqual(again, viewer);
  assert.equal((await findApiToken(store, again))?.name, 'dashboard-wall');
});

storeTest('audit lines: the latest N, oldest first, since a time', async (store) => {
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 8, minute));
  for (let i = 0; i < 5; i++)
    await recordAudit(
      store,
      {
        actor: `token-${i}`,
        action: 'sync.start',
        target: i === 0 ? null : `c${i}`,
        outcome: i === 4 ? '409' : 'ok',
      },
      at(i),
    );
  const all = await listAudit(store, { limit: 100 });
  assert.deepEqual(
    all.map((r) => [r.actor, r.target, r.outcome, r.at]),
    [0, 1, 2, 3, 4].map((i) => [
      `token-${i}`,
      i === 0 ? null : `c${i}`,
      i === 4 ? '409' : 'ok',
      at(i).toISOString(),
    ]),
  );
  assert.deepEqual(
    (await listAudit(store, { limit: 2 })).map((r) => r.actor),
    ['token-3', 'token-4'],
  );
  assert.deepEqual(
    (await listAudit(store, { limit: 100, since: at(3) })).map((r) => r.actor),
    ['token-3', 'token-4'],
  );
  await recordAudit(
    store,
    { actor: 'x', action: 'sync.start', target: 'y'.repeat(5000), outcome: 'ok' },
    at(10),
  );
  assert.equal((await listAudit(store, { limit: 1 }))[0]?.target?.length, 500);
  await assert.rejects(listAudit(store, { limit: 0 }), InvalidInputError);
});
