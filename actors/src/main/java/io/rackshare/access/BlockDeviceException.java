package io.rackshare.access;

/** A failed volume request, with the reason as an {@link IoError}. */
public final class BlockDeviceException extends RuntimeException {
  private final IoError error;

  public BlockDeviceException(IoError error, String message) {
    super(error + ": " + message);
    this.error = error;
  }

  public IoError error() {
    return error;
  }
}
