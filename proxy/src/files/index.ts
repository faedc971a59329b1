export { fileRoutes, type FileRoutesDeps } from './routes.js';
export { LocalFileStorage, type LocalFileStorageOptions } from './local-storage.js';
export {
  FILE_ID_RE,
  FileTooLargeError,
  MAX_PURPOSE_CHARS,
  isFileId,
  newFileId,
  type FileContent,
  type FileListPage,
  type FileListQuery,
  type FileMeta,
  type FileObject,
  type FilePurpose,
  type FileStorage,
  type StagedFile,
} from './storage.js';
export { writeFileAtomic, writeJsonAtomic, fsyncDir } from './atomic.js';
