// py-rattler against a mirror whose storage is a folder (CONDASYNC_STORAGE_URL=file:///…).
import { defineRattlerClientSuite } from './rattler-client-suite.ts';

defineRattlerClientSuite('filesystem');
