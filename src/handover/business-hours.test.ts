import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { parseBusinessHours } from '../config/business-hours.ts';
import { describeOpening, isOpen, nextOpening } from './business-hours.ts';

describe('KEFU_BUSINESS_HOURS', () => {
  it('parses day ranges, single days, wrapping ranges and ranges past midnight', () => {
    expect(parseBusinessHours('')).toEqual([]);
    expect(parseBusinessHours('mon-fri 09:00-18:00').map((range) => range.day)).toEqual([1, 2, 3, 4, 5]);
    expect(parseBusinessHours('Sat 10:00-14:00; sun 10:00-12:30')).toEqual([
      { day: 6, start: 600, end: 840 },
      { day: 0, start: 600, end: 750 },
    ]);
    expect(parseBusinessHours('fri-mon 08:00-24:00').map((range) => range.day)).toEqual([5, 6, 0, 1]);
    expect(parseBusinessHours('sat 22:00-02:00')).toEqual([
      { day: 6, start: 1320, end: 1440 },
      { day: 0, start: 0, end: 120 },
    ]);
  });

  it.each([
    ['mon-fri 9-18', 'expected'],
    ['someday 09:00-18:00', 'unknown day'],
    ['mon 09:00-25:00', '00:00 to 24:00'],
    ['mon 09:00-09:00', 'empty'],
  ])('refuses "%s" at start, naming the entry', (value, problem) => {
    expect(() => loadConfig({ env: { KEFU_BUSINESS_HOURS: value }, dotenvDir: null })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(problem) }));
  });

  it('refuses an unknown time zone and webhooks without a secret', () => {
    expect(() => loadConfig({ env: { KEFU_TIME_ZONE: 'Mars/Olympus' }, dotenvDir: null })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('KEFU_TIME_ZONE') }));
    expect(() => loadConfig({ env: { KEFU_WEBHOOK_URLS: 'https://hooks.example.com/kefu' }, dotenvDir: null })).toThrow(expect.objectContaining({ message: expect.stringContaining('KEFU_WEBHOOK_SECRET') }));
    expect(() => loadConfig({ env: { KEFU_WEBHOOK_URLS: 'ftp://x', KEFU_WEBHOOK_SECRET: 's'.repeat(16) }, dotenvDir: null })).toThrow(expect.objectContaining({ message: expect.stringContaining('not an http(s) URL') }));
    const config = loadConfig({ env: { KEFU_WEBHOOK_URLS: 'https://a.example/x, http://b.example/y', KEFU_WEBHOOK_SECRET: 's'.repeat(16), KEFU_TIME_ZONE: 'Asia/Shanghai' }, dotenvDir: null });
    expect(config.webhooks.urls).toEqual(['https://a.example/x', 'http://b.example/y']);
    expect(config.handover.timeZone).toBe('Asia/Shanghai');
  });
});

describe('business hours at run time', () => {
  const hours = parseBusinessHours('mon-fri 09:00-18:00');

  it('is open inside the hours in the configured zone and closed outside', () => {
    // 2026-01-05 is a Monday. 09:30 in Shanghai is 01:30 UTC.
    expect(isOpen({ hours, timeZone: 'Asia/Shanghai', at: new Date('2026-01-05T01:30:00Z') })).toBe(true);
    expect(isOpen({ hours, timeZone: 'Asia/Shanghai', at: new Date('2026-01-05T00:59:00Z') })).toBe(false);
    expect(isOpen({ hours, timeZone: 'UTC', at: new Date('2026-01-05T17:59:00Z') })).toBe(true);
    expect(isOpen({ hours, timeZone: 'UTC', at: new Date('2026-01-05T18:00:00Z') })).toBe(false);
    expect(isOpen({ hours: [], timeZone: 'UTC', at: new Date() })).toBe(true);
  });

  it('says when people are back: over the weekend, later today, and across a daylight-saving change', () => {
    // Saturday noon in Berlin → Monday 09:00 Berlin (08:00 UTC in winter).
    expect(nextOpening({ hours, timeZone: 'Europe/Berlin', at: new Date('2026-01-03T11:00:00Z') })?.toISOString()).toBe('2026-01-05T08:00:00.000Z');
    // Monday 07:00 in Shanghai → 09:00 the same day.
    expect(nextOpening({ hours, timeZone: 'Asia/Shanghai', at: new Date('2026-01-04T23:00:00Z') })?.toISOString()).toBe('2026-01-05T01:00:00.000Z');
    // Europe moves to summer time on Sunday 2026-03-29: Monday 09:00 Berlin is then 07:00 UTC.
    expect(nextOpening({ hours, timeZone: 'Europe/Berlin', at: new Date('2026-03-28T12:00:00Z') })?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
    // Open now: now.
    const now = new Date('2026-01-05T10:00:00Z');
    expect(nextOpening({ hours, timeZone: 'UTC', at: now })).toBe(now);
    expect(nextOpening({ hours: [], timeZone: 'UTC', at: now })).toBeUndefined();
  });

  it('describes the opening in the customer language and the zone', () => {
    const at = new Date('2026-01-05T01:00:00Z');
    expect(describeOpening({ at, timeZone: 'Asia/Shanghai', language: 'en' })).toBe('Monday 09:00 (Asia/Shanghai)');
    expect(describeOpening({ at, timeZone: 'Asia/Shanghai', language: 'zh' })).toBe('星期一09:00（Asia/Shanghai）');
  });
});
