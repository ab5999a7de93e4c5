export { type TarEntry, TarEntryType, TarReader, type TarReaderOptions } from './tar-reader.ts';
