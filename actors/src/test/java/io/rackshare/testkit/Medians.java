package io.rackshare.testkit;

import java.util.ArrayList;
import java.util.List;

/** Medians of a few benchmark rounds: these machines are noisy, single rounds are not quoted. */
public final class Medians {
  private Medians() {}

  /** The median of {@code xs} (NaN when empty). */
  public static double of(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
