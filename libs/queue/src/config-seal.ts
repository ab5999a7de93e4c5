import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { MIN_SECRET_KEY_LENGTH } from '@condasync/env';

/** What sealed text starts with; anything else in the registry is a config stored before sealing. */
const SEALED_PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class ConfigSealError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigSealError';
  }
}

/**
 * Seals a sync config (which may hold upstream tokens) before it rests in Redis, and opens it in
 * the workers: AES-256-GCM with a key derived from CONDASYNC_SECRET_KEY, which the API and every
 * worker share. Authenticated: a config altered in Redis fails to open instead of being trusted.
 */
export class ConfigSeal {
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_SECRET_KEY_LENGTH) {
      throw new ConfigSealError(
        `the secret key is ${secret.length} characters long, at least ${MIN_SECRET_KEY_LENGTH}`,
      );
    }
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'condasync', 'sync-config-seal v1', 32));
  }

  seal(text: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
  }

  open(text: string): string {
    if (!isSealed(text)) throw new ConfigSealError('the stored config is not sealed');
    const bytes = Buffer.from(text.slice(SEALED_PREFIX.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new ConfigSealError('the sealed config is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new ConfigSealError(
        'the sealed config does not open with this CONDASYNC_SECRET_KEY (the API and the workers must share one)',
        { cause: error },
      );
    }
  }
}

export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_PREFIX);
}

/**
 * A stored config back as an object: sealed text opened with `seal`, or plain JSON (stored before
 * sealing, or without a key). Throws ConfigSealError when it is sealed and there is no seal.
 */
export function openStoredConfig(text: string, seal: ConfigSeal | null): unknown {
  if (!isSealed(text)) return JSON.parse(text) as unknown;
  if (seal === null) {
    throw new ConfigSealError(
      'the stored config is sealed, and this process has no CONDASYNC_SECRET_KEY to open it (the API and the workers must share one)',
    );
  }
  return JSON.parse(seal.open(text)) as unknown;
}
