// Measures an image on the device and makes a small preview of it (the original is kept and uploaded as is).

/** Longest side of a preview, in pixels. */
export const PREVIEW_MAX_PX = 480;

/** Types worth decoding here: raster images the browser can draw (never SVG, which is only ever a download). */
const DECODABLE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;

export interface ImageFacts {
  width: number;
  height: number;
  /** A smaller copy (WebP, or JPEG where WebP encoding is missing); undefined when the image is already small. */
  preview?: Blob;
}

/**
 * Width, height and a preview of an image file; undefined for anything that is not a decodable image.
 * Uses createImageBitmap (honours EXIF orientation) and an OffscreenCanvas or a canvas element.
 */
export async function describeImage(file: Blob, maxPx = PREVIEW_MAX_PX): Promise<ImageFacts | undefined> {
  if (!DECODABLE.test(file.type) || typeof createImageBitmap !== 'function') return undefined;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return undefined;
  }
  try {
    const { width, height } = bitmap;
    const scale = Math.min(1, maxPx / Math.max(width, height));
    if (scale === 1 && file.size <= 256 * 1024) return { width, height };
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const preview = await drawScaled(bitmap, w, h);
    return preview ? { width, height, preview } : { width, height };
  } finally {
    bitmap.close();
  }
}

async function drawScaled(bitmap: ImageBitmap, w: number, h: number): Promise<Blob | undefined> {
  if (typeof OffscreenCanvas === 'function') {
    const canvas = new OffscreenCanvas(w, h);
    const context = canvas.getContext('2d');
    if (!context) return undefined;
    context.drawImage(bitmap, 0, 0, w, h);
    try {
      return await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
    } catch {
      return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
    }
  }
  if (typeof document === 'undefined') return undefined;
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0, w, h);
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob ?? undefined), 'image/webp', 0.8));
}
