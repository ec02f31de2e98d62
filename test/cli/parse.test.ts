import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/errors.js';
import { parseBaseUrl, parseFilter, parseInstant, parseLookbackDays } from '../../src/cli/parse.js';

describe('parseInstant', () => {
  it('reads dates as midnight UTC and timestamps with or without an offset', () => {
    assert.equal(parseInstant('2026-01-31', '--since'), '2026-01-31T00:00:00.000Z');
    assert.equal(parseInstant('2026-01-31T10:20:30Z', '--since'), '2026-01-31T10:20:30.000Z');
    assert.equal(parseInstant('2026-01-31T10:20:30+02:00', '--since'), '2026-01-31T08:20:30.000Z');
    assert.equal(parseInstant('2026-01-31T10:20', '--since'), '2026-01-31T10:20:00.000Z');
  });

  it('refuses what is not a real ISO 8601 date, naming the option', () => {
    for (const bad of ['2026-02-30', '2026-13-01', 'yesterday', '31/01/2026', '2026-1-5', '']) {
      assert.throws(
        () => parseInstant(bad, '--since'),
        (e: Error) => e instanceof UsageError && /--since/.test(e.message),
      );
    }
  });
});

describe('parseLookbackDays', () => {
  it('takes days and weeks', () => {
    assert.equal(parseLookbackDays('90d'), 90);
    assert.equal(parseLookbackDays('2w'), 14);
  });
  it('refuses zero, units it does not know and junk', () => {
    for (const bad of ['0d', '90', '3m', 'd', '-5d']) assert.throws(() => parseLookbackDays(bad), UsageError);
  });
});

describe('parseBaseUrl', () => {
  it('keeps http(s) URLs without the trailing slash', () => {
    assert.equal(parseBaseUrl('https://api.bitrise.io/v0.1/'), 'https://api.bitrise.io/v0.1');
    assert.equal(parseBaseUrl('http://127.0.0.1:8080/bitrise/v0.1'), 'http://127.0.0.1:8080/bitrise/v0.1');
  });
  it('refuses other schemes, credentials in the URL and non-URLs', () => {
    for (const bad of [
      'ftp://x',
      'file:///etc/passwd',
      'https://user:secret@host/v2',
      'not a url',
      'https://h/v2?x=1',
    ]) {
      assert.throws(() => parseBaseUrl(bad), UsageError);
    }
  });
  it('never repeats a password it refuses', () => {
    assert.throws(
      () => parseBaseUrl('https://user:hunter2@host/v2'),
      (e: Error) => !e.message.includes('hunter2'),
    );
  });
});

describe('parseFilter', () => {
  it('keeps only given filters and normalizes dates', () => {
    assert.deepEqual(parseFilter({ project: ['ios'], since: '2026-02-01' }), {
      project: ['ios'],
      since: '2026-02-01T00:00:00.000Z',
    });
  });
  it('refuses an empty time window', () => {
    assert.throws(() => parseFilter({ since: '2026-02-02', until: '2026-02-01' }), UsageError);
  });
});
