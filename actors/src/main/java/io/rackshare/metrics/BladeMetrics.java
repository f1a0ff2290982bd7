package io.rackshare.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.rackshare.management.BladeStatus;
import io.rackshare.smm.DataLane;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One blade's metrics, for {@code GET /metrics} in Prometheus' text format (the Prometheus Java
 * client). Counted as they happen: every volume request made on this blade, through NBD or the
 * Java API ({@link MeteredDevice}). Read at each scrape from the blade's status and its lane:
 * the map epoch, who is manager and backup, volumes' health, members and rebuilds, blades by
 * state, quorum, lane requests in flight and queued per target, NBD connections. Plus the JVM's
 * own (memory, GC, threads). Names are documented in README.md ("Metrics").
 * Thread-safe.
 */
public final class BladeMetrics {
  /** What a volume request did. */
  public enum Op {
    READ, WRITE, WRITE_ZEROES, FLUSH, BLOCK_STATUS;

    final String label = name().toLowerCase(Locale.ROOT);
  }

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests = Counter.builder().name("rackshare_volume_requests")
      .help("Volume requests made on this blade (NBD and the Java API), by volume and operation")
      .labelNames("volume", "op").register(registry);
  private final Counter bytes = Counter.builder().name("rackshare_volume_bytes")
      .help("Bytes read, written or zeroed through this blade, by volume and operation")
      .labelNames("volume", "op").register(registry);
  private final Counter errors = Counter.builder().name("rackshare_volume_errors")
      .help("Volume requests made on this blade that failed, by volume and operation")
      .labelNames("volume", "op").register(registry);
  private final Histogram latency = Histogram.builder().name("rackshare_volume_request_seconds")
      .help("Time from a volume request's call to its completion on this blade")
      .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
      .classicOnly().classicExponentialUpperBounds(0.000025, 2, 20)
      .labelNames("volume", "op").register(registry);

  private final Gauge epoch = gauge("rackshare_map_epoch", "Epoch of this blade's copy of the global resource map");
  private final Gauge role = gauge("rackshare_role", "1 where this blade is the manager or its live backup", "role");
  private final Gauge managerInfo = gauge("rackshare_manager_info",
      "The blades this blade knows as manager and backup (value 1)", "manager", "backup");
  private final Gauge quorum = gauge("rackshare_quorum", "1 while this blade's side of the cluster has a quorum");
  private final Gauge blades = gauge("rackshare_blades", "Blades in this blade's map, by state", "state");
  private final Gauge volumeSize = gauge("rackshare_volume_size_bytes", "A volume's size", "volume", "layout");
  private final Gauge volumeHealth = gauge("rackshare_volume_health",
      "1 for the health a volume is in (optimal, degraded, failed, ...)", "volume", "health");
  private final Gauge members = gauge("rackshare_volume_members", "A volume's members, by state", "volume", "state");
  private final Gauge rebuildDone = gauge("rackshare_rebuild_done_bytes",
      "Bytes a rebuild or resync has copied onto a member", "volume", "device");
  private final Gauge rebuildTotal = gauge("rackshare_rebuild_total_bytes",
      "Bytes a rebuild or resync has to copy onto a member", "volume", "device");
  private final Gauge rebuildRate = gauge("rackshare_rebuild_rate_bytes_per_second",
      "A rebuild's recent rate", "volume", "device");
  private final Gauge moveDone = gauge("rackshare_move_done_bytes",
      "Bytes a move (a drain) has copied from a member to its new place", "volume", "from", "to");
  private final Gauge moveTotal = gauge("rackshare_move_total_bytes",
      "Bytes a move (a drain) has to copy from a member to its new place", "volume", "from", "to");
  private final Gauge moveRate = gauge("rackshare_move_rate_bytes_per_second",
      "A move's recent rate", "volume", "from", "to");
  private final Gauge draining = gauge("rackshare_blade_drain_held",
      "For a blade being drained: the volumes' members and spares it still holds (0: it may leave)", "blade");
  private final Gauge laneInFlight = gauge("rackshare_lane_requests_in_flight",
      "Data-lane requests sent to a blade and not answered yet, by tier", "target", "tier");
  private final Gauge laneQueued = gauge("rackshare_lane_requests_queued",
      "Data-lane requests waiting for room in a blade's window, by tier", "target", "tier");
  private final Gauge nbdConnections = gauge("rackshare_nbd_connections", "Open NBD connections to this blade");

  private final java.util.concurrent.ConcurrentMap<String, VolumeMeter> meters =
      new java.util.concurrent.ConcurrentHashMap<>();

  public BladeMetrics() {
    JvmMetrics.builder().register(registry);
  }

  private Gauge gauge(String name, String help, String... labels) {
    return Gauge.builder().name(name).help(help).labelNames(labels).register(registry);
  }

  private static String lower(String s) {
    return String.valueOf(s).toLowerCase(Locale.ROOT);
  }

  /** The counters of {@code volume}'s requests. */
  public VolumeMeter meter(String volume) {
    return meters.computeIfAbsent(volume, VolumeMeter::new);
  }

  /** Counts one volume's requests (cached per volume and operation: no label lookup per request). */
  public final class VolumeMeter {
    private final CounterDataPoint[] count = new CounterDataPoint[Op.values().length];
    private final CounterDataPoint[] sizes = new CounterDataPoint[Op.values().length];
    private final CounterDataPoint[] failed = new CounterDataPoint[Op.values().length];
    private final DistributionDataPoint[] times = new DistributionDataPoint[Op.values().length];

    private VolumeMeter(String volume) {
      for (Op op : Op.values()) {
        count[op.ordinal()] = requests.labelValues(volume, op.label);
        sizes[op.ordinal()] = bytes.labelValues(volume, op.label);
        failed[op.ordinal()] = errors.labelValues(volume, op.label);
        times[op.ordinal()] = latency.labelValues(volume, op.label);
      }
    }

    /** Runs {@code call} (a request of {@code length} bytes) and counts it when it completes. */
    <T> CompletionStage<T> time(Op op, long length, Supplier<CompletionStage<T>> call) {
      long start = System.nanoTime();
      CompletionStage<T> stage;
      try {
        stage = call.get();
      } catch (RuntimeException e) {
        done(op, length, start, false);
        throw e;
      }
      stage.whenComplete((v, e) -> done(op, length, start, e == null));
      return stage;
    }

    private void done(Op op, long length, long start, boolean ok) {
      int i = op.ordinal();
      times[i].observe((System.nanoTime() - start) / 1e9);
      count[i].inc();
      if (ok) {
        if (length > 0) sizes[i].inc(length);
      } else {
        failed[i].inc();
      }
    }
  }

  /**
   * The text a scraper gets: the counters as they are, and the gauges set from {@code status},
   * {@code lane} and {@code nbd} (the number of NBD connections) now.
   */
  public synchronized String scrape(BladeStatus status, List<DataLane.LaneLoad> lane, int nbd) {
    epoch.set(status.mapEpoch());
    role.clear();
    role.labelValues("manager").set(status.blade().equals(status.manager()) ? 1 : 0);
    role.labelValues("backup").set(status.blade().equals(status.backup()) ? 1 : 0);
    managerInfo.clear();
    managerInfo.labelValues(String.valueOf(status.manager()), String.valueOf(status.backup())).set(1);
    quorum.set(status.quorum() != null && status.quorum().kept() ? 1 : 0);
    blades.clear();
    if (status.bladeDetails() != null) {
      status.bladeDetails().stream().collect(java.util.stream.Collectors.groupingBy(b -> lower(b.state()),
          java.util.stream.Collectors.counting())).forEach((state, n) -> blades.labelValues(state).set(n));
    }
    volumeSize.clear();
    volumeHealth.clear();
    members.clear();
    rebuildDone.clear();
    rebuildTotal.clear();
    rebuildRate.clear();
    moveDone.clear();
    moveTotal.clear();
    moveRate.clear();
    draining.clear();
    for (BladeStatus.DrainStatus d : status.drains()) draining.labelValues(d.blade()).set(d.holds().size());
    for (BladeStatus.Volume v : status.volumes()) {
      volumeSize.labelValues(v.name(), v.layout()).set(v.sizeBytes());
      volumeHealth.labelValues(v.name(), lower(v.health())).set(1);
      v.members().stream().collect(java.util.stream.Collectors.groupingBy(m -> lower(m.state()),
          java.util.stream.Collectors.counting())).forEach((state, n) -> members.labelValues(v.name(), state).set(n));
      for (BladeStatus.Rebuild r : v.rebuilds()) {
        rebuildDone.labelValues(v.name(), r.device()).set(r.doneBytes());
        rebuildTotal.labelValues(v.name(), r.device()).set(r.totalBytes());
        rebuildRate.labelValues(v.name(), r.device()).set(r.mibPerSecond() * (1 << 20));
      }
      for (BladeStatus.MoveStatus m : v.moves()) {
        moveDone.labelValues(v.name(), m.from(), m.to()).set(m.doneBytes());
        moveTotal.labelValues(v.name(), m.from(), m.to()).set(m.totalBytes());
        moveRate.labelValues(v.name(), m.from(), m.to()).set(m.mibPerSecond() * (1 << 20));
      }
    }
    laneInFlight.clear();
    laneQueued.clear();
    for (DataLane.LaneLoad l : lane) {
      String tier = l.tier().name().toLowerCase(Locale.ROOT);
      laneInFlight.labelValues(l.target().toString(), tier).set(l.inFlight());
      laneQueued.labelValues(l.target().toString(), tier).set(l.queued());
    }
    nbdConnections.set(nbd);
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
