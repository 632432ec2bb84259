/**
 * An Open Inference Protocol server that says it is ready and describes its model, but answers
 * every infer badly (a 500, a malformed body …): for the client's fallback and back-off.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';

export interface BadOipServer {
  readonly server: Server;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Infer requests received so far. */
  infers(): number;
  /** `/v2/health/ready` probes received so far. */
  probes(): number;
  /** When each infer request was received (Date.now(), ms). */
  readonly inferTimes: readonly number[];
  close(): Promise<void>;
}

/** Starts one on loopback serving `metadata` (the model's JSON description) for model `model`. */
export async function startBadOipServer(model: string, metadata: string, answer: (res: ServerResponse) => void): Promise<BadOipServer> {
  const inferTimes: number[] = [];
  let probes = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      if (path.endsWith('/infer')) {
        inferTimes.push(Date.now());
        answer(res);
      } else if (path === `/v2/models/${model}`) res.writeHead(200, { 'Content-Type': 'application/json' }).end(metadata);
      else if (path === '/v2') res.writeHead(200).end('{"extensions":[]}');
      else {
        if (path === '/v2/health/ready') probes++;
        res.writeHead(200).end();
      }
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    infers: () => inferTimes.length,
    probes: () => probes,
    inferTimes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
