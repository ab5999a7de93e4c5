import { type ObjectStore, type OperationHook, openConfiguredStore } from '@condasync/storage';
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

export default fp<StorePluginOptions>(
  async (app, options) => {
    const given = options.store;
    const owned = typeof given !== 'object';
    const onOperation = app.metrics.storageHook;
    const store =
      given === undefined
        ? openConfiguredStore(options.config.store, { onOperation })
        : typeof given === 'function'
          ? given(onOperation)
          : given;
    app.decorate('store', store);
    if (owned) app.addHook('onClose', async () => store.close());
  },
  { name: 'condasync-store', fastify: '5.x', dependencies: ['condasync-metrics'] },
);
