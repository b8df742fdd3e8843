// Reference server for bench/ingest.ts: bare node:http that reads the body, JSON.parses it and
// answers a small JSON reply shaped like the receiver's. Prints {"url"} once listening; exits
// when its stdin closes.
import { createServer } from 'node:http';
import { serveUntilStdinCloses } from './lib.ts';

let counter = 0;
const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let status = 200;
    let body: string;
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      body = `{"success":true,"data":{"__kdd_request_id":"${(++counter).toString(36).padStart(20, 'a')}","__kdd_request_unix_timestamp":${Date.now() / 1000}}}`;
    } catch {
      status = 400;
      body = '{"success":false,"error":"INVALID_BODY"}';
    }
    response.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
});

await serveUntilStdinCloses(server);
