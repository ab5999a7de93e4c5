import type { FastifyInstance } from 'fastify';

export const metricsSchema = {
  tags: ['health'],
  summary: 'Prometheus metrics (text exposition format)',
  response: { 200: { description: 'Metrics, prefix condasync_.', type: 'string' } },
} as const;

/** `/metrics`: the app's own registry, queue depths read at scrape time. */
export default async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    const registry = app.metrics.registry;
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
