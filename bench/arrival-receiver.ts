// Receiver for bench/fanout.ts: bare node:http that reads the request and answers 200 at once with
// the wall-clock time (epochMs) it arrived, so the fan-out can measure the latency it adds.
// Prints {"url"} once listening; exits when its stdin closes.
import { createServer } from 'node:http';
import { epochMs, serveUntilStdinCloses } from './lib.ts';

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const arrived = epochMs();
  request.on('data', () => undefined);
  request.on('end', () => response.writeHead(200, { 'content-type': 'text/plain' }).end(String(arrived)));
});

await serveUntilStdinCloses(server);
