package io.rackshare.access;

import io.rackshare.smm.Quorum;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Whether this blade serves I/O now: only while its side of the cluster has a {@link Quorum} (the
 * side the Split Brain Resolver keeps). A blade cut off from the majority stops serving at once,
 * so that a manager on the majority's side can count it as fenced after {@code
 * rackshare.manager.fence-after} and let the majority write past the copies it holds; its
 * clients' requests wait for the quorum to come back, up to {@code rackshare.access.quorum-timeout},
 * and then fail with {@link IoError#UNAVAILABLE} saying why.
 *
 * <p>Thread-safe: the SMM handler's topology updates it (an actor's thread); requests ask it on
 * whatever thread they arrive; time-outs run on the access path's timer.
 */
final class QuorumGate {

  private final ScheduledExecutorService timer;
  private final List<CompletableFuture<Void>> waiting = new CopyOnWriteArrayList<>();
  private volatile Quorum quorum = Quorum.NONE;
  /** When the quorum was last lost (System.nanoTime), while it is lost. */
  private volatile long lostSince = System.nanoTime();

  QuorumGate(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** The SMM handler's latest view. */
  void update(Quorum q) {
    boolean was = quorum.kept();
    quorum = q;
    if (q.kept()) {
      for (CompletableFuture<Void> w : waiting) {
        waiting.remove(w);
        w.complete(null);
      }
    } else if (was) {
      lostSince = System.nanoTime();
    }
  }

  boolean open() {
    return quorum.kept();
  }

  Quorum quorum() {
    return quorum;
  }

  /** How long the quorum has been lost (zero while it is kept). */
  Duration lostFor() {
    return quorum.kept() ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - lostSince);
  }

  /** Completes when the quorum is there, or fails after {@code timeout} with the reason. */
  CompletableFuture<Void> await(Duration timeout) {
    if (quorum.kept()) return CompletableFuture.completedFuture(null);
    CompletableFuture<Void> w = new CompletableFuture<>();
    waiting.add(w);
    if (quorum.kept() && waiting.remove(w)) w.complete(null); // it came back meanwhile
    timer.schedule(() -> {
      if (waiting.remove(w)) {
        w.completeExceptionally(new BlockDeviceException(IoError.UNAVAILABLE, "no quorum for " + timeout
            + ": " + quorum.reason() + "; no manager can exist on this side, so this blade serves no I/O"));
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    return w;
  }
}
