import { CodecError, CodecErrorCode } from '@condasync/codecs';
import { CondaError, CondaErrorCode } from '../errors.ts';

/**
 * A codec's refusal as the shard error libs/conda raises: a bomb or a limit stays LIMIT_EXCEEDED,
 * an unencodable record is INVALID_RECORD, bytes that are not a zstd frame of msgpack are
 * MALFORMED_JSON (the code for an upstream document that is not well-formed). Other errors pass
 * through.
 */
export function shardErrorFromCodec(error: unknown): unknown {
  if (!(error instanceof CodecError)) return error;
  const code =
    error.code === CodecErrorCode.LimitExceeded
      ? CondaErrorCode.LimitExceeded
      : error.code === CodecErrorCode.Unencodable
        ? CondaErrorCode.InvalidRecord
        : CondaErrorCode.MalformedJson;
  return new CondaError(code, error.message, { cause: error });
}
