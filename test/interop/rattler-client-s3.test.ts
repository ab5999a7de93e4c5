// py-rattler against a mirror whose storage is a bucket on the S3 server (moto).
import { defineRattlerClientSuite } from './rattler-client-suite.ts';

defineRattlerClientSuite('s3');
