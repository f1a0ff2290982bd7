package io.rackshare.access;

import io.rackshare.map.BladeId;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requester side's retry and failure-reporting layer: judges the {@link Outcome}s of one
 * step's requests and decides what comes next (Figure 7, blocks 718-724).
 *
 * <ul>
 *   <li>all fine: the step's continuation;
 *   <li>"wrong target": the maps disagree; ask the manager for a resynchronised map, wait for it
 *       (or a back-off) and plan the step again, failing with {@link IoError#STALE_MAP} after
 *       {@code rackshare.access.max-attempts};
 *   <li>a member failed: tell the manager ({@link AccessPath.FailureReport}) and, once it
 *       confirms a map without that member installed on every blade, plan the step again on it;
 *       so a write is acknowledged only when it is on every member the map still counts as live
 *       (DRBD's protocol C), and a failed member is never read again;
 *   <li>a failure that is nobody's device (overload, a bad request, a failed volume): fails.
 * </ul>
 *
 * <p>Threads: {@link #settle} continues on whichever thread completes the last outcome (a lane
 * reader or the block I/O executor); waits for a map end on the thread that installs it (the
 * access driver actor's) or on the {@code rackshare-access-retries} timer. Nothing here blocks.
 */
final class Retries {

  private static final Logger log = LoggerFactory.getLogger(Retries.class);

  private final BladeId self;
  private final Supplier<GlobalResourceMap> map;
  private final AccessSettings settings;
  private final BlockTarget.Resync resync;
  private final AccessPath.FailureReport report;
  private final ScheduledExecutorService timer;
  private final List<MapWaiter> waiters = new CopyOnWriteArrayList<>();

  /** Waits for volume {@code volume}'s epoch to differ from {@code epoch} (or the map to reach {@code atLeast}). */
  private record MapWaiter(String volume, long epoch, long atLeast, CompletableFuture<Void> changed) {
    boolean satisfied(GlobalResourceMap m) {
      if (atLeast > 0) return m.epoch() >= atLeast;
      return m.volume(volume).map(GlobalResourceDescriptor::epoch).orElse(-1L) != epoch;
    }
  }

  Retries(BladeId self, Supplier<GlobalResourceMap> map, AccessSettings settings, BlockTarget.Resync resync,
      AccessPath.FailureReport report, ScheduledExecutorService timer) {
    this.self = self;
    this.map = map;
    this.settings = settings;
    this.resync = resync;
    this.report = report;
    this.timer = timer;
  }

  /**
   * Waits for {@code outcomes}; all fine completes, a failure that is nobody's device fails, a
   * failed device is reported to the manager and then {@code again} plans the work anew on the
   * confirmed map, and a disagreeing map is resynchronised before {@code again}.
   */
  CompletableFuture<Void> settle(GlobalResourceDescriptor v, List<CompletableFuture<Outcome>> outcomes, int attempt,
      Supplier<CompletableFuture<Void>> again) {
    return settle(v, outcomes, attempt, again, () -> CompletableFuture.completedFuture(null));
  }

  /** As above; when all went fine, continues with {@code next}. */
  CompletableFuture<Void> settle(GlobalResourceDescriptor v, List<CompletableFuture<Outcome>> outcomes, int attempt,
      Supplier<CompletableFuture<Void>> again, Supplier<CompletableFuture<Void>> next) {
    CompletableFuture<?>[] all = outcomes.toArray(new CompletableFuture[0]);
    return CompletableFuture.allOf(all).thenCompose(x -> {
      List<Outcome.DeviceFailed> failed = new ArrayList<>();
      String wrong = null;
      for (CompletableFuture<Outcome> f : outcomes) {
        Outcome o = f.join();
        if (o instanceof Outcome.Failed e) return CompletableFuture.<Void>failedFuture(e.error());
        if (o instanceof Outcome.DeviceFailed d) failed.add(d);
        if (o instanceof Outcome.Wrong w) wrong = w.reason();
      }
      if (!failed.isEmpty()) return memberFailed(v, failed, attempt, again);
      if (wrong != null) return retry(v.name(), v.epoch(), attempt, wrong, again);
      return next.get();
    });
  }

  private CompletableFuture<Void> memberFailed(GlobalResourceDescriptor v, List<Outcome.DeviceFailed> failed,
      int attempt, Supplier<CompletableFuture<Void>> again) {
    BlockDeviceException first = failed.get(0).error();
    if (attempt + 1 >= settings.maxAttempts()) return CompletableFuture.failedFuture(first);
    CompletableFuture<Long> confirmed = CompletableFuture.completedFuture(v.epoch());
    for (Outcome.DeviceFailed d : failed) {
      log.warn("{}: member {} of '{}' failed ({}); asking the manager to drop it", self, d.device(), v.name(),
          d.error().getMessage());
      confirmed = confirmed.thenCompose(e -> report.memberFailed(v.name(), d.device(), v.epoch(),
          d.error().getMessage(), d.error().error() == IoError.UNREACHABLE));
    }
    return confirmed.handle((epoch, t) -> {
      if (t != null) {
        return CompletableFuture.<Void>failedFuture(new BlockDeviceException(first.error(), first.getMessage()
            + "; and the manager could not confirm the member's failure: " + BlockDeviceException.cause(t).getMessage()));
      }
      return mapChange(v.name(), v.epoch(), epoch, settings.confirmTimeout().toMillis())
          .thenCompose(y -> again.get());
    }).thenCompose(f -> f);
  }

  /**
   * How many times {@code rackshare.access.max-attempts} a piece may go round while its maps keep
   * moving forward (a growth's parts reported ready one by one, a drain's moves): every round of
   * those saw a newer map, which is progress, not maps stuck out of step.
   */
  static final int PROGRESS_FACTOR = 10;

  /**
   * Waits for a resynchronised map (or the back-off), then runs {@code again}. Fails with {@link
   * IoError#STALE_MAP} after {@code max-attempts} rounds that brought no newer map of the volume,
   * or after {@link #PROGRESS_FACTOR} times as many in all.
   */
  private CompletableFuture<Void> retry(String volume, long usedEpoch, int attempt, String reason,
      Supplier<CompletableFuture<Void>> again) {
    if (attempt + 1 >= settings.maxAttempts() * PROGRESS_FACTOR) return stale(attempt, reason);
    log.info("{}: wrong target for '{}' at epoch {} ({}); retrying on a resynchronised map",
        self, volume, usedEpoch, reason);
    resync.ask(volume, usedEpoch, "wrong target: " + reason);
    long backoff = settings.retryBackoff().toMillis() * Math.min(attempt + 1, settings.maxAttempts());
    // A target behind this blade's map (it has not installed the newer map yet, as while it
    // prepares a growth's parts) is catching up, not out of step: waiting for it is progress,
    // bounded like any progress by PROGRESS_FACTOR rounds in all.
    boolean targetBehind = targetBehind(reason);
    return mapChange(volume, usedEpoch, 0, backoff).thenCompose(x -> {
      boolean newer = map.get().volume(volume).map(d -> d.epoch() != usedEpoch).orElse(true);
      if (!newer && !targetBehind && attempt + 1 >= settings.maxAttempts()) return stale(attempt, reason);
      return again.get();
    });
  }

  private static final java.util.regex.Pattern EPOCHS =
      java.util.regex.Pattern.compile("request epoch (\\d+), this blade's epoch (\\d+)");

  /** The target's answer says its map of the volume is older than the request's. */
  static boolean targetBehind(String reason) {
    java.util.regex.Matcher m = EPOCHS.matcher(reason);
    return m.find() && Long.parseLong(m.group(2)) < Long.parseLong(m.group(1));
  }

  private static CompletableFuture<Void> stale(int attempt, String reason) {
    return CompletableFuture.failedFuture(new BlockDeviceException(IoError.STALE_MAP,
        "the maps stayed out of step after " + (attempt + 1) + " attempts; last answer: " + reason));
  }

  /**
   * Completes when this blade's map of {@code volume} is no longer at {@code epoch} (and, with
   * {@code atLeast > 0}, reached it), or after {@code timeoutMillis} (0 = no time-out).
   */
  CompletableFuture<Void> mapChange(String volume, long epoch, long atLeast, long timeoutMillis) {
    CompletableFuture<Void> changed = new CompletableFuture<>();
    MapWaiter w = new MapWaiter(volume, epoch, atLeast, changed);
    waiters.add(w);
    mapInstalled(map.get()); // it may have changed already
    if (timeoutMillis > 0 && !changed.isDone()) {
      timer.schedule(() -> {
        waiters.remove(w);
        changed.complete(null);
      }, timeoutMillis, TimeUnit.MILLISECONDS);
    }
    return changed;
  }

  /** This blade stored a new map: steps waiting for one go again. */
  void mapInstalled(GlobalResourceMap m) {
    for (MapWaiter w : waiters) {
      if (w.satisfied(m)) {
        waiters.remove(w);
        w.changed().complete(null);
      }
    }
  }
}
