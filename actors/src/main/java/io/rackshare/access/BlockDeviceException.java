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

  /** The failure a completion stage carries, without the {@code CompletionException} around it. */
  public static Throwable cause(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
