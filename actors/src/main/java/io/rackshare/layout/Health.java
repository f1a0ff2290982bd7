package io.rackshare.layout;

/** Whether a volume can serve, as its layout judges from its members' states. */
public record Health(Status status, String detail) {

  /** A volume's health as status pages and metrics name it ({@code rackshare_volume_health}). */
  public enum Status {
    /** Every member in sync. */
    OPTIMAL,
    /** Serving with less redundancy than configured (members failed or being rebuilt). */
    DEGRADED,
    /** Lost more than its redundancy: serves nothing until a missing member returns. */
    FAILED
  }

  public static final Health OPTIMAL = new Health(Status.OPTIMAL, "all members in sync");

  public boolean failed() {
    return status == Status.FAILED;
  }
}
