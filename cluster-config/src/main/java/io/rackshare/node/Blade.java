package io.rackshare.node;

import io.rackshare.management.BladeStatus;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rackshare blade drain|undrain}: move what a blade holds to the others, online, so that it may leave. */
@Command(name = "blade", mixinStandardHelpOptions = true,
    description = "Drain a blade (its volumes' members and spares move to other blades while they serve) or undrain it.",
    subcommands = {Blade.Drain.class, Blade.Undrain.class})
final class Blade implements Callable<Integer> {

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "say drain or undrain");
  }

  /** {@code rackshare blade drain}. */
  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = "Drain a blade: it takes no new extents, and each volume's member on it is copied to another blade"
          + " and switched, one per volume at a time, while clients go on. Returns once the moves are under way;"
          + " with --wait, once the blade holds nothing (watch them with rackshare status --watch).")
  static final class Drain implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Parameters(index = "0", paramLabel = "BLADE", description = "the blade, e.g. Rack(1)/Chassis(1)/Blade(3)")
    String blade;

    @Option(names = "--wait", description = "wait until the blade holds nothing, printing the moves as they go")
    boolean await;

    @Option(names = "--timeout", defaultValue = "3600", description = "with --wait, give up after this many seconds")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
      Map<?, ?> answer = Volume.JSON.readValue(endpoint.post("/blades/drain?blade=" + Volume.enc(blade),
          Duration.ofSeconds(60)), Map.class);
      List<?> moving = (List<?>) answer.get("moving");
      System.out.println("blade " + answer.get("blade") + " is being drained; moves under way: "
          + (moving.isEmpty() ? "none" : ""));
      for (Object m : moving) System.out.println("  " + m);
      return await ? awaitDrained() : 0;
    }

    /** Polls the blade's status until the drain is done, printing each move's progress when it changes. */
    private int awaitDrained() throws Exception {
      long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
      String last = "";
      while (System.nanoTime() < deadline) {
        BladeStatus s = Volume.JSON.readValue(endpoint.call("/status", HttpRequest.newBuilder().GET(),
            Duration.ofSeconds(10)), BladeStatus.class);
        BladeStatus.DrainStatus d = s.drains().stream().filter(x -> x.blade().equals(blade)).findFirst().orElse(null);
        if (d == null) {
          System.err.println("blade " + blade + " is no longer being drained (undrained?)");
          return 1;
        }
        if (d.drained()) {
          System.out.println("blade " + blade + " is drained: it holds nothing and may leave");
          return 0;
        }
        StringBuilder now = new StringBuilder();
        for (BladeStatus.Volume v : s.volumes()) {
          for (BladeStatus.MoveStatus m : v.moves()) {
            now.append(String.format("  %s: moving %s -> %s %s %5.1f %%%n", v.name(), m.from(), m.to(),
                Status.bar(m.percent(), 20), m.percent()));
          }
        }
        if (!now.toString().equals(last)) System.out.print(now);
        last = now.toString();
        Thread.sleep(500);
      }
      System.err.println("blade " + blade + " still holds something after " + timeoutSeconds + " s");
      return 1;
    }
  }

  /** {@code rackshare blade undrain}. */
  @Command(name = "undrain", mixinStandardHelpOptions = true,
      description = "Undrain a blade: it takes extents again; moves away from it that are under way are rolled back.")
  static final class Undrain implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Parameters(index = "0", paramLabel = "BLADE", description = "the blade, e.g. Rack(1)/Chassis(1)/Blade(3)")
    String blade;

    @Override
    public Integer call() throws Exception {
      endpoint.post("/blades/undrain?blade=" + Volume.enc(blade), Duration.ofSeconds(60));
      System.out.println("blade " + blade + " is no longer drained");
      return 0;
    }
  }
}
