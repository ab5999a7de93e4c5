import { type ObjectStore, type OperationHook, openStore } from '@condasync/storage';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.ts';

/** An object store, or a factory that receives the app's storage-metrics hook. */
export type StoreChoice = ObjectStore | ((onOperation: OperationHook) => ObjectStore);

declare module 'fastify' {
  interface FastifyInstance {
    store: ObjectStore;
  }
}

export interface StorePluginOptions {
  config: ApiConfig;
  /** Given instance: the caller owns it and closes it. Otherwise the app opens and closes it. */
  store?: StoreChoice | undefined;
}

/** Opens the store from CONDASYNC_STORAGE_URL (credentials come from the AWS SDK's chain). */
function openConfiguredStore(config: ApiConfig, onOperation: OperationHook): ObjectStore {
  return openStore(config.storageUrl, {
    s3: {
      // A custom endpoint is MinIO, Ceph, moto…: they want path-style URLs.
      ...(config.s3Endpoint === null ? {} : { endpoint: config.s3Endpoint, forcePathStyle: true }),
      ...(config.s3Region === null ? {} : { region: config.s3Region }),
    },
    onOperation,
  });
}

export default fp<StorePluginOptions>(
  async (app, options) => {
    const given = options.store;
    const owned = typeof given !== 'object';
    const store =
      given === undefined
        ? openConfiguredStore(options.config, app.metrics.storageHook)
        : typeof given === 'function'
          ? given(app.metrics.storageHook)
          : given;
    app.decorate('store', store);
    if (owned) app.addHook('onClose', async () => store.close());
  },
  { name: 'condasync-store', fastify: '5.x', dependencies: ['condasync-metrics'] },
);
