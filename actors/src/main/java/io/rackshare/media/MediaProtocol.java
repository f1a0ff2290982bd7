package io.rackshare.media;

import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.smm.OobMessage;

/** What an operator's blade says to the blade of a removable-media drive, over the OOB channel. */
public final class MediaProtocol {
  private MediaProtocol() {}

  /**
   * Insert {@code image} (a file in the drive's blade's media directory) into {@code drive}, or
   * eject its medium ({@code image} null). Checked for the operator credential where it came in;
   * answered with {@link MediumAnswer}.
   */
  public record ChangeMedium(DevicePath drive, String image) implements OobMessage {}

  /** The drive as it is now ({@code medium}), or why it was not changed ({@code refused}, else null). */
  public record MediumAnswer(DevicePath drive, ResourceConfig.Medium medium, String refused) implements OobMessage {}
}
