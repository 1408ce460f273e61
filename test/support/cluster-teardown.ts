import { clusterTeardown } from './cluster-setup';

export default clusterTeardown;
