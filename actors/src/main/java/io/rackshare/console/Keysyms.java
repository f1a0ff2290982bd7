package io.rackshare.console;

import java.nio.charset.StandardCharsets;

/**
 * X11 keysyms (what RFB key events carry) to the bytes an xterm sends its program: text as UTF-8,
 * Control+letter as the control character, Alt as an ESC prefix, and the usual sequences for the
 * cursor, editing and function keys.
 */
final class Keysyms {
  private boolean control;
  private boolean alt;

  /** The bytes for a key going down or up ({@code null} when none, as for modifiers and releases). */
  byte[] key(boolean down, long keysym) {
    int k = (int) keysym;
    switch (k) {
      case 0xffe3, 0xffe4 -> {
        control = down;
        return null;
      }
      case 0xffe9, 0xffea, 0xffe7, 0xffe8 -> {
        alt = down;
        return null;
      }
      default -> { }
    }
    if (!down) return null;
    String s = switch (k) {
      case 0xff0d, 0xff8d -> "\r";
      case 0xff08 -> "\u007f";
      case 0xff09 -> "\t";
      case 0xff1b -> "\u001b";
      case 0xff51 -> "\u001b[D";
      case 0xff52 -> "\u001b[A";
      case 0xff53 -> "\u001b[C";
      case 0xff54 -> "\u001b[B";
      case 0xff50 -> "\u001b[H";
      case 0xff57 -> "\u001b[F";
      case 0xff55 -> "\u001b[5~";
      case 0xff56 -> "\u001b[6~";
      case 0xff63 -> "\u001b[2~";
      case 0xffff -> "\u001b[3~";
      case 0xffbe -> "\u001bOP";
      case 0xffbf -> "\u001bOQ";
      case 0xffc0 -> "\u001bOR";
      case 0xffc1 -> "\u001bOS";
      case 0xffc2 -> "\u001b[15~";
      case 0xffc3 -> "\u001b[17~";
      case 0xffc4 -> "\u001b[18~";
      case 0xffc5 -> "\u001b[19~";
      case 0xffc6 -> "\u001b[20~";
      case 0xffc7 -> "\u001b[21~";
      case 0xffc8 -> "\u001b[23~";
      case 0xffc9 -> "\u001b[24~";
      default -> text(k);
    };
    if (s == null) return null;
    return ((alt ? "\u001b" : "") + s).getBytes(StandardCharsets.UTF_8);
  }

  private String text(int k) {
    int cp;
    if (k >= 0x20 && k <= 0xff) cp = k;
    else if ((k & 0xff000000) == 0x01000000) cp = k & 0x00ffffff;
    else return null;
    // X11's Unicode keysyms stop at U+10FFFF; beyond, or a lone surrogate, is no character.
    if (!Character.isValidCodePoint(cp) || Character.isSurrogate((char) cp) && cp <= 0xffff) return null;
    if (control) {
      if (cp >= 'a' && cp <= 'z') return String.valueOf((char) (cp - 'a' + 1));
      if (cp >= '@' && cp <= '_') return String.valueOf((char) (cp - '@'));
      if (cp == ' ') return "\u0000";
    }
    return new String(Character.toChars(cp));
  }
}
