/**
 * The shipped Prometheus alert rules (deploy/prometheus/kefu-alerts.yml): every metric a rule reads is one kefu exports
 * at /metrics (with the label values the rule selects), and, when Debian's `promtool` is installed
 * (`apt-get install -y prometheus`), the file passes `promtool check rules` and its unit tests
 * (kefu-alerts.test.yml: each alert fires on a broken series and stays quiet on a healthy one).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createDocumentServices } from '../cli/document-services.ts';
import { createOwnerConsole } from '../cli/owner-console.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

const rulesDir = path.resolve(import.meta.dirname, '..', 'deploy', 'prometheus');
const rulesFile = path.join(rulesDir, 'kefu-alerts.yml');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;

beforeAll(async () => {
  fixture = await createChatFixture();
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  const owner = createOwnerConsole({ config: fixture.config, records, store: fixture.store, embedder: fixture.embedder, answerService: fixture.answerService });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, owner, ...createDocumentServices({ config: fixture.config, store: fixture.store, isVisible: owner.isVisible }) });
});

afterAll(async () => {
  await app?.close();
  await records?.close();
  await fixture?.close();
});

describe('Prometheus alert rules', () => {
  it('cover the six measures and read only metrics (and label values) kefu exports', async () => {
    // Traffic, so the answer histogram and counters have series.
    await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'How long does express shipping take?' } });
    await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'Do you repair broken umbrellas?' } });
    const exported = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const rules = (parse(await readFile(rulesFile, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert).sort()).toEqual(['KefuAnswerLatencyHigh', 'KefuHandoverWaitingBeyondTarget', 'KefuIngestFailures', 'KefuRefusalRateSpike', 'KefuServerErrors', 'KefuWatcherStalled']);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      const names = [...new Set(rule.expr.match(/\bkefu_[a-z0-9_]+/g) ?? [])];
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exported, `${rule.alert} reads ${name}`).toMatch(new RegExp(`^${name}(\\{| )`, 'm'));
      // A selected label value must be one kefu writes (outcome="refused", status="failed").
      for (const [, name, label, value] of rule.expr.matchAll(/\b(kefu_[a-z0-9_]+)\{([a-z_]+)="([^"]+)"\}/g)) {
        expect(exported, `${rule.alert}: ${name}{${label}="${value}"}`).toContain(`${label}="${value}"`);
      }
    }
  });

  it.skipIf(!promtool)('pass `promtool check rules` and `promtool test rules` (skipped when promtool is not on PATH: apt-get install -y prometheus)', () => {
    const check = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(check.status, check.stderr + check.stdout).toBe(0);
    expect(check.stdout).toContain('SUCCESS: 6 rules found');
    const unit = spawnSync('promtool', ['test', 'rules', 'kefu-alerts.test.yml'], { cwd: rulesDir, encoding: 'utf8', timeout: 120_000 });
    expect(unit.status, unit.stderr + unit.stdout).toBe(0);
    expect(unit.stdout).toContain('SUCCESS');
  });
});
