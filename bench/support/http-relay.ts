/**
 * A bare HTTP relay for the MCP benchmark's baseline: a `node:http` server in its own process
 * that passes every request (method, path, headers, body) to one target origin over keep-alive
 * sockets and streams the answer back as it comes (SSE included). It understands nothing of
 * MCP; it is what any aggregator in the path costs at the least: one more process and one
 * more HTTP hop each way. Usage: node bench/support/http-relay.ts <target origin>; prints
 * `listening <port>`.
 */
import { Agent, createServer, request } from 'node:http';

const target = new URL(process.argv[2] ?? 'http://127.0.0.1:1');
const agent = new Agent({ keepAlive: true });

const server = createServer((req, res) => {
  const headers = { ...req.headers, host: target.host };
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  // A client that leaves early (a cancelled SSE stream) ends the upstream request too.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
