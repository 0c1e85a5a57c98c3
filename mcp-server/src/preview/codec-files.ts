/**
 * Where the preview worker finds each codec: its script and, for the WASM codecs, the WebAssembly
 * file. From source (tests, benches) both come from the installed packages; in the published
 * bundle (built with `__GENIMIX_BUNDLE__`), from files beside the bundle: `dist/codecs/<name>.js`,
 * built one per codec by tsup, and `dist/wasm/<file>`, copied there by the build.
 */
import type { CodecName } from './worker.js';

/** A codec's script: the package file it is built from (jSquash has no `exports` map, so its files can be named). */
export const CODEC_SCRIPTS: Record<CodecName, { package: string }> = {
  pngDecode: { package: '@jsquash/png/decode.js' },
  jpegDecode: { package: '@jsquash/jpeg/decode.js' },
  webpDecode: { package: '@jsquash/webp/decode.js' },
  gifDecode: { package: 'omggif' },
  resize: { package: '@jsquash/resize/index.js' },
  jpegEncode: { package: '@jsquash/jpeg/encode.js' },
};

/**
 * The WASM of each jSquash codec (Node cannot `fetch` a file URL, so jSquash's own loading fails
 * there; the main thread compiles it once and hands the module to each worker).
 */
export const CODEC_WASM: Partial<Record<CodecName, { package: string; bundled: string }>> = {
  pngDecode: { package: '@jsquash/png/codec/pkg/squoosh_png_bg.wasm', bundled: 'png-decode.wasm' },
  jpegDecode: { package: '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm', bundled: 'jpeg-decode.wasm' },
  webpDecode: { package: '@jsquash/webp/codec/dec/webp_dec.wasm', bundled: 'webp-decode.wasm' },
  resize: { package: '@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm', bundled: 'resize.wasm' },
  jpegEncode: { package: '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm', bundled: 'jpeg-encode.wasm' },
};
