import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { ObjectStore, OperationHook } from '../src/index.ts';
import { registerConditionalContract } from './contract-conditional.ts';
import { registerCopyContract } from './contract-copy.ts';
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
export interface ContractOptions {
  /**
   * Whether the server itself makes concurrent conditional writes atomic. The filesystem store
   * does (its lock is ours, so we test it under contention). moto, the S3 server the tests run,
   * evaluates If-None-Match without a lock, so two racing writers can both win there; on real
   * S3/MinIO the server guarantees it, and our S3 client's part (sending the headers, mapping
   * 412) is tested sequentially.
   */
  atomicConditionalWrites: boolean;
}

export function runObjectStoreContract(
  name: string,
  makeStore: StoreFactory,
  options: ContractOptions,
): void {
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
    registerConditionalContract(context, options);
    registerCopyContract(context);
  });
}
