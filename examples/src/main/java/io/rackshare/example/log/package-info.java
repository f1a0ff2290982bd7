/**
 * An example service that embeds Rackshare: an append-only record log kept on a raid1 global
 * volume ({@link io.rackshare.access.BlockDevice}), written by one {@link
 * io.rackshare.example.log.LogWriter} (a Cluster Singleton), with an HTTP API on every blade
 * ({@link io.rackshare.example.log.LogRoutes}). Started on a blade by {@link
 * io.rackshare.example.log.LogService} or as a JVM of its own by {@link
 * io.rackshare.example.log.LogServiceMain}.
 */
package io.rackshare.example.log;
