// The entry of a cluster worker (forked by cluster.ts): one gateway on the shared public port, no admin
// listener of its own; it answers the primary's status requests and obeys reload / shutdown.
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { type ClusterMessage, isClusterMessage } from './cluster.ts';
import { startGateway } from './gateway.ts';

const configPath = process.argv[2];
if (!cluster.isWorker || configPath === undefined) {
  console.error('cluster-worker.ts is started by the gateway cluster primary');
  process.exit(2);
}

const gateway = await startGateway({ configPath, admin: false });
// prom-client answers the primary's metric requests from this registry
new AggregatorRegistry();
AggregatorRegistry.setRegistries([gateway.metrics.registry]);

const send = (message: ClusterMessage) => process.send?.(message);
const drain = () => void gateway.close().then(() => process.exit(0));
process.on('message', (message: unknown) => {
  if (!isClusterMessage(message)) return;
  if (message.edgepass === 'status?') {
    send({ edgepass: 'status', id: message.id, ready: gateway.ready(), jwks: gateway.jwks() });
  } else if (message.edgepass === 'reload') {
    void gateway.reload();
  } else if (message.edgepass === 'shutdown') {
    drain();
  }
});
// Signals sent to the whole process group (a terminal's Ctrl-C, systemd's control-group kill) reach the
// workers too: they drain like on the primary's request instead of dying mid-request.
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
process.on('SIGHUP', () => {}); // the primary forwards reloads
