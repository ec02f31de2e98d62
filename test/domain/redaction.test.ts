import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_SECRET_LENGTH, redact, rememberSecret, shortSecretProblem } from '../../src/domain/redaction.js';

describe('redact', () => {
  it('replaces a remembered secret in plain, URL-encoded and query forms', () => {
    const secret = 'tok+en/with=chars 0123456789';
    rememberSecret(secret);
    const encoded = encodeURIComponent(secret);
    const query = new URLSearchParams({ s: secret }).toString().slice(2);
    assert.notEqual(encoded, secret);
    assert.notEqual(query, encoded);
    assert.equal(
      redact(`a ${secret} b https://x/?session=${encoded} c ${query}`),
      'a *** b https://x/?session=*** c ***',
    );
  });

  it('leaves words alone: a short value is never remembered, and is refused where it enters', () => {
    rememberSecret('x');
    assert.equal(redact('exists'), 'exists');
    assert.match(shortSecretProblem('x', 'the token') ?? '', /1 characters long/);
    assert.equal(shortSecretProblem('y'.repeat(MIN_SECRET_LENGTH), 'the token'), null);
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    rememberSecret('overlap-secret-aaaaaaaaaaaa');
    rememberSecret('overlap-secret-aaaaaaaaaaaa-and-more');
    assert.equal(redact('[overlap-secret-aaaaaaaaaaaa-and-more]'), '[***]');
  });
});
