import { RedisCluster } from './redis-cluster';
import { TEST_RUN_ENV } from './test-run';

/** Where the cluster project keeps its cluster between the global setup and teardown (same jest process). */
const HOLDER = '__cmiycTestCluster' as const;
type Holder = { [HOLDER]?: RedisCluster };

/**
 * The "cluster" project's global setup: one Valkey Cluster (3 masters, 3 replicas, redis-server standing in for
 * valkey-server) for every suite of the project, each with its own key prefix like on the single server. Suites
 * that kill nodes start a cluster of their own.
 */
export default async function clusterSetup(): Promise<void> {
  // Not recorded as the run's children: jest may run the integration project's leak check before this
  // project's teardown stops the cluster (its own teardown, and the harness's exit hook, stop it).
  const run = process.env[TEST_RUN_ENV];
  delete process.env[TEST_RUN_ENV];
  let cluster: RedisCluster;
  try {
    cluster = await RedisCluster.start();
  } finally {
    if (run !== undefined) process.env[TEST_RUN_ENV] = run;
  }
  (globalThis as Holder)[HOLDER] = cluster;
  process.env.TEST_CACHE_CLUSTER_NODES = cluster.nodeList;
}

/** The cluster project's global teardown: the cluster goes (before the integration project's leak check). */
export async function clusterTeardown(): Promise<void> {
  await (globalThis as Holder)[HOLDER]?.stop();
  delete (globalThis as Holder)[HOLDER];
}
