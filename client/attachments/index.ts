// The attachment part of the client library: sending files with messages, uploading them, and links to read them.
export { AttachmentSender, type AttachmentSenderOptions, type FileInput, type UploadProgress } from './attachment-sender.js';
export { BlobUploadError, relayHttpBase, sha256Hex, uploadBlob, type UploadOptions, type UploadedBlob } from './blob-upload.js';
export { BlobUrls, type BlobUrlOptions } from './blob-urls.js';
export { describeImage, PREVIEW_MAX_PX, type ImageFacts } from './image-preview.js';
export type { PendingFile } from './pending-files.js';
