package io.rackshare.multijvm;

import io.rackshare.management.BladeStatus;
import io.rackshare.persistence.JournalDigest;
import io.rackshare.testkit.StatusPoller;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * The blades' maps compared with the journal's (the journal is this module's own concern; fetching
 * and polling a blade's status is the testkit's {@link StatusPoller}).
 */
final class BladeStatuses {
  private BladeStatuses() {}

  /** The journal's fold and each blade's map (epoch, digest) at one poll. */
  record Digests(JournalDigest.Result journal, Map<Integer, String> blades) {
    boolean match() {
      return blades.values().stream().allMatch(b -> b.endsWith(" " + journal.mapDigest()));
    }
  }

  /**
   * Waits until every blade of {@code statuses} (by slot) routes with the journal's map: the same
   * digest as the journal's fold. Returns the journal's result.
   */
  static JournalDigest.Result awaitDigestsMatch(Callable<JournalDigest.Result> journal,
      Map<Integer, Callable<BladeStatus>> statuses, Duration timeout) throws Exception {
    return StatusPoller.awaitValue("blades " + statuses.keySet(), () -> {
      JournalDigest.Result j = journal.call();
      Map<Integer, String> blades = new TreeMap<>();
      for (Map.Entry<Integer, Callable<BladeStatus>> e : statuses.entrySet()) {
        BladeStatus s = e.getValue().call();
        blades.put(e.getKey(), "epoch " + s.mapEpoch() + " digest " + s.mapDigest());
      }
      return new Digests(j, blades);
    }, "the blades' maps match the journal's", Digests::match, timeout).journal();
  }
}
