package io.rackshare.access;

/** A failed volume request, with the reason as an {@link IoError}. */
public final class BlockDeviceException extends RuntimeException {
  private final IoError error;
  private final String detail;

  public BlockDeviceException(IoError error, String message) {
    super(error + ": " + message);
    this.error = error;
    this.detail = message;
  }

  /** The message without the error's name. */
  public String detail() {
    return detail;
  }

  public IoError error() {
    return error;
  }

  /** The failure a completion stage carries, without the {@code CompletionException} around it. */
  public static Throwable cause(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
