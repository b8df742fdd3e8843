#!/usr/bin/env node
// The `hooklake` CLI. Node 24 runs the TypeScript sources directly (type stripping).
import { main } from '../cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
