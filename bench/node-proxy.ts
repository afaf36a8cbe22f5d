/**
 * The floor of the proxy benchmark: the least a Node proxy can do, in its own process.
 *
 *   node bench/node-proxy.ts <upstream origin> [port]
 *
 * Prints one JSON line `{"port":N}` once listening. Forwards every request to the upstream
 * over keep-alive `node:http` and pipes the answer back (status, headers, body; streams stay
 * streams). No parsing, no routing, no bookkeeping: what is left of "added latency" once a
 * proxy does nothing but cross two more sockets. 429chain's own cost is what it adds on top.
 */
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:8080');
const agent = new Agent({ keepAlive: true, maxFreeSockets: 256 });

const server = createServer((incoming, outgoing) => {
  const forwarded = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, host: upstream.host },
      agent,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => outgoing.destroy());
  incoming.pipe(forwarded);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
