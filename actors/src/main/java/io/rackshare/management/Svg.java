package io.rackshare.management;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * A small SVG writer for {@link MapSvg}: elements are opened and closed in order, every attribute
 * value and every text is escaped ({@link #escape}), so nothing a user named (a volume) can end
 * an attribute, open an element or put a character XML does not allow into the document.
 */
final class Svg {
  private final StringBuilder out = new StringBuilder(16 * 1024);
  private final Deque<String> open = new ArrayDeque<>();

  /** The XML declaration: a document of its own, in UTF-8. */
  Svg prolog() {
    out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    return this;
  }

  /** Opens {@code tag} with attributes given as name, value pairs (a null value is left out). */
  Svg open(String tag, Object... attributes) {
    start(tag, attributes);
    out.append('>');
    open.push(tag);
    return this;
  }

  /** Closes the element opened last. */
  Svg close() {
    out.append("</").append(open.pop()).append('>');
    return this;
  }

  /** An element without content. */
  Svg empty(String tag, Object... attributes) {
    start(tag, attributes);
    out.append("/>");
    return this;
  }

  /** An element holding {@code text}. */
  Svg text(String tag, String text, Object... attributes) {
    start(tag, attributes);
    out.append('>').append(escape(text)).append("</").append(tag).append('>');
    return this;
  }

  /** A {@code <title>}: what a browser shows on hovering over the element it is in. */
  Svg title(String text) {
    return text("title", text);
  }

  private void start(String tag, Object... attributes) {
    if (attributes.length % 2 != 0) throw new IllegalArgumentException(tag + ": attributes come in pairs");
    out.append('<').append(tag);
    for (int i = 0; i < attributes.length; i += 2) {
      Object v = attributes[i + 1];
      if (v == null) continue;
      out.append(' ').append(attributes[i]).append("=\"")
          .append(escape(v instanceof Double d ? number(d) : String.valueOf(v))).append('"');
    }
  }

  @Override
  public String toString() {
    if (!open.isEmpty()) throw new IllegalStateException("unclosed " + open);
    return out.toString();
  }

  /** At most one decimal, no exponent, a dot whatever the locale. */
  static String number(double d) {
    long whole = Math.round(d);
    return Math.abs(d - whole) < 0.05 ? Long.toString(whole) : String.format(Locale.ROOT, "%.1f", d);
  }

  /**
   * {@code text} for XML content or a quoted attribute: markup characters as entities, characters
   * XML 1.0 does not allow (controls, lone surrogates, U+FFFE/U+FFFF) as U+FFFD.
   */
  static String escape(String text) {
    if (text == null) return "";
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        case '\t', '\n', '\r' -> b.append(c);
        default -> {
          if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
            b.append(c).append(text.charAt(++i));
          } else if (c < 0x20 || Character.isSurrogate(c) || c == 0xfffe || c == 0xffff) {
            b.append('\ufffd');
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
