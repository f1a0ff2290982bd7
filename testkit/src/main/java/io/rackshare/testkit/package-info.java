/**
 * Failover tests for Rackshare and the services that embed it: {@link io.rackshare.testkit.RackshareCluster}
 * (blades in one JVM or as separate JVMs; kill, restart, partition; awaits with deadlines),
 * {@link io.rackshare.testkit.VerifyingWriter} ("no acknowledged write lost" as one assertion) and
 * {@link io.rackshare.testkit.RackshareExtension} (a directory per test, kept when it fails).
 */
package io.rackshare.testkit;
