package io.rackshare.node;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.BladeStatus;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rackshare status}: a blade's view of the cluster, from its management endpoint. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show a blade's view: the manager, every volume's health, members and rebuild progress.")
final class Status implements Callable<Integer> {

  @Mixin Endpoint endpoint;

  @Option(names = "--json", description = "print the endpoint's JSON as it is")
  boolean json;

  @Option(names = "--watch", arity = "0..1", fallbackValue = "1", paramLabel = "SECONDS",
      description = "redraw in place every SECONDS (default 1, like watch(1)) until interrupted: rebuilds and"
          + " resyncs with a progress bar, their rate and the time left")
  Double watch;

  @Option(names = "--count", paramLabel = "N", description = "with --watch, stop after N redraws")
  Integer count;

  /** Clears the terminal and puts the cursor home (what watch(1) does between two views). */
  static final String REDRAW = "\u001b[H\u001b[2J";

  @Override
  public Integer call() throws Exception {
    if (watch == null) {
      System.out.print(view());
      return 0;
    }
    if (watch < 0.1 || watch > 3600) throw new IllegalArgumentException("--watch: 0.1 to 3600 seconds, not " + watch);
    if (count != null && count < 1) throw new IllegalArgumentException("--count: at least 1, not " + count);
    for (int n = 1; ; n++) {
      String frame;
      try {
        frame = view();
      } catch (IllegalArgumentException e) {
        // A blade that stops answering is shown as such, and asked again (as watch does).
        frame = e.getMessage() + "\n";
      }
      System.out.print(REDRAW + "Every " + watch + " s: rackshare status --url " + endpoint.url + "    "
          + java.time.LocalTime.now().withNano(0) + "\n\n" + frame);
      System.out.flush();
      if (count != null && n >= count) return 0;
      Thread.sleep((long) (watch * 1000));
    }
  }

  private String view() throws Exception {
    String body = endpoint.call("/status", HttpRequest.newBuilder().GET(), Duration.ofSeconds(10));
    if (json) return body + "\n";
    BladeStatus s = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .readValue(body, BladeStatus.class);
    return format(s);
  }

  static String format(BladeStatus s) {
    StringBuilder b = new StringBuilder();
    b.append("blade   ").append(s.blade()).append('\n');
    b.append("manager ").append(s.manager().isEmpty() ? "(none known)" : s.manager())
        .append(s.managerAddress() == null || s.managerAddress().isEmpty() ? "" : " at " + s.managerAddress())
        .append('\n');
    b.append("backup  ").append(s.backup() == null || s.backup().isEmpty() ? "(none)" : s.backup())
        .append(s.backupAddress() == null || s.backupAddress().isEmpty() ? "" : " at " + s.backupAddress())
        .append('\n');
    b.append("policy  nomination ").append(s.nomination()).append(", routing ").append(s.routing()).append('\n');
    if (s.managerRecovery() != null) {
      b.append("        this blade runs the manager: journal at event ").append(s.managerRecovery().sequenceNr())
          .append(", recovered in ").append(s.managerRecovery().recoveryMillis()).append(" ms replaying ")
          .append(s.managerRecovery().replayedEvents()).append(" event(s) after its snapshot\n");
    }
    if (s.backupFollowing() != null) {
      b.append("        this blade is the backup: ").append(s.backupFollowing().following() ? "follows" : "does not follow")
          .append(" the journal, at event ").append(s.backupFollowing().sequenceNr()).append(", snapshot at ")
          .append(s.backupFollowing().snapshotSequenceNr()).append('\n');
    }
    if (s.quorum() != null) {
      b.append("quorum  ").append(s.quorum().kept() ? "yes" : "NO").append(", ").append(s.quorum().reachable())
          .append(" of ").append(s.quorum().members()).append(" blades reachable")
          .append(s.quorum().kept() ? "" : ": " + s.quorum().reason() + "; this blade serves no I/O").append('\n');
    }
    if (s.seat() != null && s.seat().holding()) {
      b.append("seat    this blade holds the manager's seat (lease ").append(s.seat().lease()).append(", token ")
          .append(s.seat().token()).append(")\n");
    }
    b.append("blades  ").append(String.join(", ", s.blades())).append('\n');
    if (s.bladeDetails() != null) {
      for (BladeStatus.BladeInfo i : s.bladeDetails()) {
        b.append("        ").append(i.blade()).append(' ').append(i.state()).append(' ').append(i.address()).append('\n');
        for (String r : i.resources()) b.append("          ").append(r).append('\n');
      }
    }
    b.append("map     epoch ").append(s.mapEpoch()).append(", digest ").append(s.mapDigest()).append('\n');
    if (s.consoles() != null) {
      for (BladeStatus.Console c : s.consoles()) {
        b.append("console station on ").append(c.station()).append(" shows ").append(c.target())
            .append(" (since epoch ").append(c.epoch()).append(")\n");
      }
    }
    for (BladeStatus.DrainStatus d : s.drains()) {
      b.append("drain   ").append(d.blade()).append(d.drained() ? " drained: it holds nothing and may leave"
          : " being drained, still holds " + String.join(", ", d.holds())).append('\n');
    }
    b.append('\n');
    b.append(String.format("%-10s %-7s %-9s %10s  %s%n", "VOLUME", "LAYOUT", "HEALTH", "SIZE", "MEMBERS"));
    for (BladeStatus.Volume v : s.volumes()) {
      String members = v.members().stream()
          .map(m -> m.device() + " " + m.state() + (m.suspect() ? " (suspect: its blade is unreachable)" : ""))
          .collect(Collectors.joining("\n" + " ".repeat(42)));
      b.append(String.format("%-10s %-7s %-9s %10s  %s%n", v.name(), v.layout(), v.health(), size(v.sizeBytes()),
          members));
      if (v.layout().equals(io.rackshare.layout.MediaLayout.NAME)) {
        b.append(" ".repeat(42)).append("read-only: the medium in this drive (rackshare media eject/insert)\n");
      }
      if (v.inMemory()) {
        b.append(" ".repeat(42)).append("volatile: members in memory, empty again when their blade restarts\n");
      }
      if (!v.spares().isEmpty()) b.append(" ".repeat(42)).append("spares: ").append(String.join(", ", v.spares())).append('\n');
      for (BladeStatus.Rebuild r : v.rebuilds()) {
        b.append(" ".repeat(42)).append(String.format("rebuilding %s %s %5.1f %% of %s at %.1f MiB/s, ETA %s%n",
            r.device(), bar(r.percent(), 20), r.percent(), size(r.totalBytes()), r.mibPerSecond(), eta(r.secondsLeft())));
      }
      for (BladeStatus.MoveStatus m : v.moves()) {
        b.append(" ".repeat(42)).append(String.format("moving %s -> %s %s %5.1f %% of %s at %.1f MiB/s, ETA %s%n",
            m.from(), m.to(), bar(m.percent(), 20), m.percent(), size(m.totalBytes()), m.mibPerSecond(),
            eta(m.secondsLeft())));
      }
      if (v.preparing() != null) {
        BladeStatus.Preparing p = v.preparing();
        double percent = 100.0 * p.partsReady() / Math.max(1, p.parts());
        b.append(" ".repeat(42)).append(String.format("%s %s %d of %d parts zeroed%n",
            p.growingToBytes() > 0 ? "growing to " + size(p.growingToBytes()) : "being prepared", bar(percent, 20),
            p.partsReady(), p.parts()));
      }
      if (!v.health().equals("OPTIMAL")) b.append(" ".repeat(42)).append(v.detail()).append('\n');
    }
    return b.toString();
  }

  /** {@code [#####...............]}: {@code percent} of {@code width} cells filled. */
  static String bar(double percent, int width) {
    int filled = (int) Math.round(Math.max(0, Math.min(100, percent)) * width / 100);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
  }

  /** Seconds as h:mm:ss, or "?" while unknown. */
  static String eta(long seconds) {
    if (seconds < 0) return "?";
    return String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  }

  static String size(long bytes) {
    if (bytes >= 1L << 30) return String.format("%.1f GiB", bytes / (double) (1L << 30));
    return String.format("%d MiB", bytes >> 20);
  }
}
