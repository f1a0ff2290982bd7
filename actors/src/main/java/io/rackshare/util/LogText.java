package io.rackshare.util;

/**
 * Text from outside (a client's header, a device path in a request, an exception's message) made
 * safe for one log line: control characters (C0, DEL, C1, line and paragraph separators) are
 * escaped, so no input can forge a log line or move the terminal's cursor, and long text is cut.
 */
public final class LogText {
  private LogText() {}

  /** At most this many characters of the input are kept. */
  public static final int MAX = 300;

  /** {@code text} with control characters escaped as {@code \xNN} / {@code \\uNNNN}, cut at {@link #MAX}. */
  public static String printable(String text) {
    if (text == null) return "null";
    StringBuilder b = new StringBuilder(Math.min(text.length(), MAX) + 8);
    int n = Math.min(text.length(), MAX);
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
      else if ((c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    if (text.length() > n) b.append("…(").append(text.length()).append(" chars)");
    return b.toString();
  }

  /** {@link #printable} in double quotes, with quotes and backslashes escaped too. */
  public static String quote(String text) {
    if (text == null) return "null";
    return "\"" + printable(text.replace("\\", "\\\\").replace("\"", "\\\"")) + "\"";
  }
}
