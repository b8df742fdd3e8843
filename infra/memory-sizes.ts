// Each function's memory size, from measured figures (docs/cost.md, "Memory sizes, and why";
// `npm run bench -- receiver-invoke processor cold-start fanout`). A module without CDK, so the
// benchmarks that compare their figures with these sizes load no CDK.
export const RECEIVER_MEMORY_MB = 256;
export const PROCESSOR_MEMORY_MB = 1024;
export const API_MEMORY_MB = 512;
export const FANOUT_MEMORY_MB = 512;
