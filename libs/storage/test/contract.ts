import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { ObjectStore, OperationHook } from '../src/index.ts';
import { registerConditionalContract } from './contract-conditional.ts';
import { registerReadContract } from './contract-reads.ts';
import { registerWriteContract } from './contract-writes.ts';

/** Each call returns a new store instance over the SAME data (as another process would see it). */
export type StoreFactory = (hooks?: { onOperation?: OperationHook }) => Promise<ObjectStore>;

export interface ContractContext {
  /** The suite's shared store. */
  store(): ObjectStore;
  makeStore: StoreFactory;
  /** A fresh key folder, so tests never see each other's objects. */
  folder(): string;
}

/** The behaviour every ObjectStore backend must show; run by each backend's test file. */
export function runObjectStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let shared: ObjectStore | undefined;
    let folders = 0;
    const runId = randomUUID().slice(0, 8);
    const context: ContractContext = {
      store: () => {
        if (shared === undefined) throw new Error('the contract store was not created');
        return shared;
      },
      makeStore,
      folder: () => `contract-${runId}/t${String(++folders).padStart(3, '0')}`,
    };
    before(async () => {
      shared = await makeStore();
    });
    after(async () => {
      await shared?.close();
    });
    registerWriteContract(context);
    registerReadContract(context);
    registerConditionalContract(context);
  });
}
