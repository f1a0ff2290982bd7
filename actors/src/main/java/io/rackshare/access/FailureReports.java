package io.rackshare.access;

import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the global resource manager that a member failed, and waits for it to confirm a map
 * without that member: of whichever manager there is, asking again while there is none (a
 * failover: the manager's blade may be the one that failed) or while the one asked does not
 * answer. It gives up only when no manager can exist on this blade's side (its quorum has been
 * lost for {@code quorum-timeout}) or, in a cluster that could have one but gets none, after
 * {@code confirm-timeout}.
 *
 * <p>Runs on the caller's thread and the access path's timer; the SMM handler routes each ask.
 */
final class FailureReports implements AccessPath.FailureReport {

  private static final Logger log = LoggerFactory.getLogger(FailureReports.class);
  /** Pause between two asks while there is no manager. */
  private static final Duration AGAIN = Duration.ofMillis(200);

  private final BladeId self;
  private final ActorRef<SmmHandler.Command> smm;
  private final Scheduler scheduler;
  private final ScheduledExecutorService timer;
  private final QuorumGate quorum;
  private final AccessSettings settings;
  /** One ask's bound: the manager answers once the failed device's blade routes with its map. */
  private final Duration askTimeout;

  FailureReports(BladeId self, ActorRef<SmmHandler.Command> smm, Scheduler scheduler, ScheduledExecutorService timer,
      QuorumGate quorum, AccessSettings settings, Duration requestTimeout) {
    this.self = self;
    this.smm = smm;
    this.scheduler = scheduler;
    this.timer = timer;
    this.quorum = quorum;
    this.settings = settings;
    this.askTimeout = requestTimeout.plusSeconds(1);
  }

  @Override
  public CompletableFuture<Long> memberFailed(String volume, DevicePath device, long seenEpoch, String reason,
      boolean unreachable) {
    ManagerProtocol.MemberFailed report =
        new ManagerProtocol.MemberFailed(self, volume, device, seenEpoch, reason, unreachable);
    CompletableFuture<Long> confirmed = new CompletableFuture<>();
    ask(report, confirmed, System.nanoTime(), 1);
    return confirmed;
  }

  private void ask(ManagerProtocol.MemberFailed report, CompletableFuture<Long> confirmed, long started, int attempt) {
    AskPattern.<SmmHandler.Command, SmmHandler.Response>ask(smm,
            replyTo -> new SmmHandler.RequestToManager(report, attempt, replyTo), askTimeout, scheduler)
        .whenComplete((r, failure) -> {
          if (r instanceof SmmHandler.Answered a && a.message() instanceof ManagerProtocol.MapConfirmed c) {
            if (attempt > 1) {
              log.info("{}: the failure of {} in '{}' was confirmed at epoch {} after {} asks", self, report.device(),
                  report.volume(), c.epoch(), attempt);
            }
            confirmed.complete(c.epoch());
            return;
          }
          String why = failure != null ? failure.toString() : String.valueOf(r);
          Duration waited = Duration.ofNanos(System.nanoTime() - started);
          if (quorum.lostFor().compareTo(settings.quorumTimeout()) >= 0) {
            confirmed.completeExceptionally(new BlockDeviceException(IoError.UNAVAILABLE,
                "no manager can confirm the failure of " + report.device() + ": " + quorum.quorum().reason()));
          } else if (waited.compareTo(settings.confirmTimeout()) >= 0) {
            confirmed.completeExceptionally(new BlockDeviceException(IoError.UNAVAILABLE,
                "no manager confirmed the failure of " + report.device() + " within " + settings.confirmTimeout()
                    + " (last answer: " + why + ")"));
          } else {
            if (attempt == 1 || attempt % 25 == 0) {
              log.info("{}: no manager confirmed the failure of {} in '{}' yet ({}); asking again", self,
                  report.device(), report.volume(), why);
            }
            timer.schedule(() -> ask(report, confirmed, started, attempt + 1), AGAIN.toMillis(), TimeUnit.MILLISECONDS);
          }
        });
  }
}
