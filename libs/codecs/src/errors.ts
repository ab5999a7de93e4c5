/** Closed set of error codes raised by libs/codecs. Callers branch on `code`, never on messages. */
export const CodecErrorCode = {
  /** The bytes are not what the format says: corrupt, truncated, bad magic, bad checksum. */
  MalformedData: 'MALFORMED_DATA',
  /** Well-formed, but uses a feature we refuse (encryption, a zstd dictionary, old bzip2 randomisation). */
  Unsupported: 'UNSUPPORTED',
  /** An archive member name that could escape an extraction folder (`..`, absolute, backslash, NUL). */
  UnsafePath: 'UNSAFE_PATH',
  /** A size, count or depth past the caller's limit (decompression bombs, absurd headers). */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /** A value the encoder cannot represent (msgpack of a function, NaN, undefined in an array). */
  Unencodable: 'UNENCODABLE',
  /** A caller's option is out of range (a bzip2 level of 10). */
  InvalidOption: 'INVALID_OPTION',
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

/** The one error class of libs/codecs. Messages name the bad value and what was expected. */
export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
    this.code = code;
  }
}
