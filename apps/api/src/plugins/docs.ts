import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

/**
 * OpenAPI 3.1 generated from the route schemas (3.1 because the sync config schema uses
 * `type: [..., 'null']`), served at /docs (UI) and /docs/json. Registered before any route.
 */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'condasync API',
          description:
            'Submit and follow conda channel syncs, and serve the mirrored channels to conda, mamba and pixi.',
          version: '0.1.0',
        },
        tags: [
          { name: 'syncs', description: 'Sync jobs (bearer token when CONDASYNC_API_TOKENS is set).' },
          {
            name: 'cleanups',
            description: 'Delete what a sync config no longer selects, at once (bearer token as for syncs).',
          },
          {
            name: 'verifications',
            description:
              'Re-hash (and repair) the stored packages of a mirrored channel (bearer token as for syncs).',
          },
          {
            name: 'imports',
            description:
              'Publish a bundle that is in the object store into a channel, verified first (bearer token as for syncs).',
          },
          { name: 'channel', description: 'Mirrored channels, at /conda/<channel>/.' },
          { name: 'health', description: 'Probes and metrics.' },
        ],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'condasync-docs', fastify: '5.x' },
);
