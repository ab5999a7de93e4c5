export { readZipDirectory, storedMemberData, type ZipDirectory, type ZipEntry } from './zip-directory.ts';
