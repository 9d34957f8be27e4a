/** GET /api/health (liveness + readiness) and GET /metrics (Prometheus). */
import type { RecordsStore } from '../../records/types.ts';
import type { HealthCheck, HealthReport, KefuApp } from '../app.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { HealthResponse } from '../schemas.ts';

export interface OperationRouteDependencies {
  app: KefuApp;
  records: RecordsStore;
  metrics: ServiceMetrics;
  health: HealthCheck | undefined;
}

export function registerOperationRoutes({ app, records, metrics, health }: OperationRouteDependencies): void {
  app.get(
    '/api/health',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Liveness and readiness',
        description: '200 when ready to answer (model loaded, index open, records writable); 503 while not. `live` is always true when the process answers.',
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (request, reply) => {
      let checks: Record<string, boolean> = {};
      let indexing: HealthReport['indexing'];
      try {
        const report = health ? await health() : undefined;
        checks = { ...(report?.checks ?? {}) };
        indexing = report?.indexing;
      } catch (error) {
        request.log.warn({ err: error }, 'health check failed');
        checks.dependencies = false;
      }
      checks.records = await records.ping();
      const ready = Object.values(checks).every(Boolean);
      return reply.status(ready ? 200 : 503).send({ live: true, ready, checks, ...(indexing ? { indexing } : {}) });
    },
  );

  app.get(
    '/metrics',
    { config: { rateLimit: false }, schema: { tags: ['operations'], summary: 'Prometheus metrics (text format)' } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.metrics.scrape()),
  );
}
