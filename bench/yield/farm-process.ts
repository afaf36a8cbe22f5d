/**
 * The yield benchmark's farm in its own process (started by bench/yield/run.ts): every provider
 * of farm.ts on its own loopback port, plus a control port.
 *
 *   node bench/yield/farm-process.ts '{"seed":1,"minuteMs":8000,"dayMs":16000,"enforcement":"mixed"}'
 *
 * Prints one JSON line `{"control":N,"ports":{"groq":N,…}}` once listening. Control:
 * `POST /start {"origin":epochMs}` starts counting afresh with the run's windows beginning at
 * `origin`; `GET /stats` answers `{"groq":ProviderStats,…}`. Before `/start`, chat requests
 * are refused with 404 and counted as `other`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FarmOptions, minutePhaseMs, yieldFarm } from './farm.ts';
import { seededRandom } from './seeded-random.ts';
import { type SimulatedProvider, startSimulatedProvider } from './simulated-provider.ts';

/** The farm process's argument. */
export interface FarmProcessSpec extends FarmOptions {
  seed: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FarmProcessSpec;
const farm = yieldFarm(spec);
const simulators = new Map<string, SimulatedProvider>();
for (const [index, provider] of farm.providers.entries()) {
  simulators.set(
    provider.id,
    await startSimulatedProvider({
      farm,
      provider,
      random: seededRandom(spec.seed, 100 + index),
      phaseMs: minutePhaseMs(farm, spec.seed, index),
    }),
  );
}

const control = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method === 'POST' && request.url === '/start') {
      const { origin } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { origin: number };
      for (const simulator of simulators.values()) simulator.start(origin);
      response.writeHead(204).end();
      return;
    }
    if (request.method === 'GET' && request.url === '/stats') {
      const stats = Object.fromEntries([...simulators].map(([id, simulator]) => [id, simulator.stats()]));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    response.writeHead(404).end();
  });
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const ports = Object.fromEntries([...simulators].map(([id, simulator]) => [id, simulator.port]));
process.stdout.write(`${JSON.stringify({ control: (control.address() as AddressInfo).port, ports })}\n`);

async function stop(): Promise<void> {
  control.close();
  await Promise.all([...simulators.values()].map((simulator) => simulator.close()));
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
