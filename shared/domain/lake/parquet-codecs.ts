// Parquet codecs Node has built in since 23.8 (zlib's zstd), for hyparquet and hyparquet-writer,
// which bring only Snappy of their own. Compacted objects are ZSTD (lake/compaction.ts), and so
// are the text columns of the processor's objects (objects.ts).
import { constants as zlibConstants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';

export const PARQUET_DECOMPRESSORS = {
  ZSTD: (input: Uint8Array, outputLength: number): Uint8Array => {
    const output = zstdDecompressSync(input, { maxOutputLength: Math.max(outputLength, 1) });
    return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
  },
};

const ZSTD_LEVEL_1 = { [zlibConstants.ZSTD_c_compressionLevel]: 1 };

/**
 * ZSTD at level 1: about half the CPU of hyparquet-writer's JavaScript Snappy on JSON text, to
 * 20% of its size instead of 35% (docs/benchmarks.md). Each call costs ~25 µs whatever the size
 * (a zlib stream and a zstd context of its own), so it pays on large pages only. Telling zstd the
 * size up front lets it size its tables to the page rather than its whole window; the output
 * comes in one chunk when the page compresses to a quarter, as JSON text does.
 */
export const PARQUET_COMPRESSORS = {
  ZSTD: (input: Uint8Array): Uint8Array =>
    zstdCompressSync(input, { params: ZSTD_LEVEL_1, pledgedSrcSize: input.byteLength, chunkSize: Math.max(1024, input.byteLength >> 2) }),
};
