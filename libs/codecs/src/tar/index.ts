export { type TarEntry, TarEntryType, TarReader, type TarReaderOptions } from './tar-reader.ts';
export { type TarWriterEntry, tarFileHeader, writeTar } from './tar-writer.ts';
