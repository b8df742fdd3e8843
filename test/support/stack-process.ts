// `npm start` as a user runs it: `node infra/local/main.ts` in a child process of its own, on
// free ports, with its state in a data dir the test chooses. Also: which TCP sockets a process
// listens on, read from /proc (Linux), so a test sees every listener, worker threads included.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StackInfo } from '../../infra/local/stack.ts';

const MAIN = resolve(import.meta.dirname, '../../infra/local/main.ts');
const READY = 'Hooklake local stack is ready.';

export interface StackProcess {
  child: ChildProcess;
  /** stack.json as the running stack wrote it. */
  info: StackInfo;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

export interface StackProcessOptions {
  dataDir: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Starts the process; resolves when it printed its readiness, or rejects with its output. */
export async function startStackProcess(options: StackProcessOptions): Promise<StackProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOOKLAKE_SQS_PORT: '0',
      HOOKLAKE_DYNAMODB_PORT: '0',
      HOOKLAKE_DATA_DIR: options.dataDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no readiness within ${options.timeoutMs ?? 30_000} ms:\n${output}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      if (!output.includes(READY)) return;
      clearTimeout(timer);
      resolveReady();
    };
    child.stdout!.on('data', check);
    exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`the stack exited (${how}) before it was ready:\n${output}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const info = JSON.parse(readFileSync(join(options.dataDir, 'stack.json'), 'utf8')) as StackInfo;
  return { child, info, output: () => output, exited };
}

/** Stops it as Ctrl-C would, and waits for the exit. */
export async function stopStackProcess(stack: StackProcess | undefined): Promise<void> {
  if (stack === undefined || stack.child.exitCode !== null || stack.child.signalCode !== null) return;
  stack.child.kill('SIGTERM');
  await stack.exited;
}

export interface ListeningSocket {
  address: string;
  port: number;
}

/** Every TCP socket in LISTEN state that the process `pid` holds, from /proc/<pid>/fd and /proc/<pid>/net/tcp{,6}. */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed while we looked
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3], fields[9]!];
      if (state !== '0A' || !inodes.has(inode)) continue; // 0A = LISTEN
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      sockets.push({ address: decodeProcAddress(hexAddress), port: Number.parseInt(hexPort, 16) });
    }
  }
  return sockets;
}

/** /proc/net/tcp prints addresses as 32-bit words in host byte order (little-endian here). */
function decodeProcAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((word) => Buffer.from(word, 'hex').reverse());
  const bytes = Buffer.concat(words);
  if (bytes.length === 4) return [...bytes].join('.');
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is shown as the IPv4 address, the way Node reports it.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return [...bytes.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
