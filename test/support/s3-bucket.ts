import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '@condasync/storage';
import { testS3Credentials, testS3Endpoint, uniqueTestName } from './services.ts';

/** A fresh bucket on the test S3 server and the env vars that point condasync at it. */
export async function createTestBucket(
  prefix: string,
): Promise<{ bucket: string; env: Record<string, string> }> {
  const bucket = uniqueTestName(prefix);
  const endpoint = testS3Endpoint();
  const admin = new S3Client({
    endpoint,
    region: testS3Credentials.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: testS3Credentials.accessKeyId,
      secretAccessKey: testS3Credentials.secretAccessKey,
    },
  });
  try {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    admin.destroy();
  }
  return {
    bucket,
    env: {
      CONDASYNC_STORAGE_URL: `s3://${bucket}/mirror`,
      CONDASYNC_S3_ENDPOINT: endpoint,
      CONDASYNC_S3_REGION: testS3Credentials.region,
      AWS_ACCESS_KEY_ID: testS3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testS3Credentials.secretAccessKey,
    },
  };
}

/** An S3ObjectStore on the test S3 server (path-style, test credentials). */
export function testS3Store(bucket: string, prefix = 'mirror'): S3ObjectStore {
  return new S3ObjectStore({
    bucket,
    prefix,
    endpoint: testS3Endpoint(),
    region: testS3Credentials.region,
    credentials: {
      accessKeyId: testS3Credentials.accessKeyId,
      secretAccessKey: testS3Credentials.secretAccessKey,
    },
    forcePathStyle: true,
  });
}
