// Decompressors for reading lake Parquet with hyparquet (which has Snappy built in): compacted
// objects are ZSTD (lake/compaction.ts), which Node has in zlib since 23.8.
import { zstdDecompressSync } from 'node:zlib';

export const PARQUET_DECOMPRESSORS = {
  ZSTD: (input: Uint8Array, outputLength: number): Uint8Array => {
    const output = zstdDecompressSync(input, { maxOutputLength: Math.max(outputLength, 1) });
    return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
  },
};
