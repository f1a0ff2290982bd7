package io.rackshare.console;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A blade's text-mode screen (the video device of 0096-0105): a grid of character cells that a
 * console program's output is parsed into, with the VT100/ANSI (xterm) subset a shell and
 * full-screen tools use. Output bytes go in with {@link #feed}; whoever shows the screen reads the
 * cells and watches {@link #version()}, which grows with every change.
 *
 * <p>Understood: printable text (UTF-8) with auto-wrap; CR, LF, VT, FF, BS, HT, BEL; ESC 7/8
 * (save/restore cursor), ESC D/E/M (index, next line, reverse index), ESC c (reset); CSI A B C D
 * E F G H f d (cursor moves), J K (erase in display/line), L M (insert/delete lines), @ P X
 * (insert/delete/erase characters), S T (scroll), r (scroll region), s u (save/restore), m
 * (colours and attributes: 16 colours, bold, underline, reverse), h/l with ? (cursor visibility,
 * auto-wrap, the alternate screen 47/1047/1049, mouse reporting 1000/1002/1003/1006) and 4 (insert
 * mode). OSC strings (window titles) and other sequences are consumed and ignored. Not
 * thread-safe: one reader feeds it, others read it under the same lock.
 */
public final class Screen {

  /** Colour index 0-15, or {@link #DEFAULT}. */
  public static final int DEFAULT = -1;

  public static final int BOLD = 1;
  public static final int UNDERLINE = 2;
  public static final int REVERSE = 4;

  private final int columns;
  private final int rows;
  private int[] chars;
  private int[] fg;
  private int[] bg;
  private int[] attrs;
  private int[] savedChars;
  private int[] savedFg;
  private int[] savedBg;
  private int[] savedAttrs;
  private boolean alternate;

  private int row;
  private int col;
  private boolean wrapPending;
  private int curFg = DEFAULT;
  private int curBg = DEFAULT;
  private int curAttrs;
  private int savedRow;
  private int savedCol;
  private int top;
  private int bottom;
  private boolean autoWrap = true;
  private boolean insertMode;
  private boolean cursorVisible = true;
  private int mouseMode;
  private boolean sgrMouse;
  private long version;

  private enum State { TEXT, ESC, CSI, OSC, OSC_ESC, CHARSET }

  private State state = State.TEXT;
  private final StringBuilder params = new StringBuilder();
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final ByteBuffer pending = ByteBuffer.allocate(8);

  public Screen(int columns, int rows) {
    if (columns < 1 || rows < 1 || columns > 1000 || rows > 1000) {
      throw new IllegalArgumentException("a screen of " + columns + "x" + rows + " cells");
    }
    this.columns = columns;
    this.rows = rows;
    reset();
  }

  public int columns() {
    return columns;
  }

  public int rows() {
    return rows;
  }

  /** Grows with every change of the cells or the cursor. */
  public long version() {
    return version;
  }

  public int cursorRow() {
    return row;
  }

  public int cursorColumn() {
    return Math.min(col, columns - 1);
  }

  public boolean cursorVisible() {
    return cursorVisible;
  }

  /** 0: no mouse reports; 1000, 1002 or 1003: the xterm mode the program asked for. */
  public int mouseMode() {
    return mouseMode;
  }

  /** Whether mouse reports use the SGR form (mode 1006). */
  public boolean sgrMouse() {
    return sgrMouse;
  }

  public boolean alternateScreen() {
    return alternate;
  }

  /** The code point in a cell (a space when empty). */
  public int charAt(int r, int c) {
    return chars[r * columns + c];
  }

  public int foreground(int r, int c) {
    return fg[r * columns + c];
  }

  public int background(int r, int c) {
    return bg[r * columns + c];
  }

  public int attributes(int r, int c) {
    return attrs[r * columns + c];
  }

  /** Row {@code r} as text, trailing spaces removed. */
  public String line(int r) {
    StringBuilder b = new StringBuilder(columns);
    for (int c = 0; c < columns; c++) b.appendCodePoint(chars[r * columns + c]);
    int end = b.length();
    while (end > 0 && b.charAt(end - 1) == ' ') end--;
    return b.substring(0, end);
  }

  /** The whole screen as text, one line per row. */
  public String text() {
    StringBuilder b = new StringBuilder();
    for (int r = 0; r < rows; r++) b.append(line(r)).append('\n');
    return b.toString();
  }

  /** Parses {@code n} bytes of program output from {@code bytes[offset]}. */
  public void feed(byte[] bytes, int offset, int n) {
    for (int i = offset; i < offset + n; i++) {
      byte b = bytes[i];
      if (pending.position() == 0 && b >= 0) {
        onChar(b);
        continue;
      }
      pending.put(b);
      pending.flip();
      CharBuffer out = CharBuffer.allocate(4);
      utf8.decode(pending, out, false);
      pending.compact();
      out.flip();
      while (out.hasRemaining()) {
        char ch = out.get();
        if (Character.isHighSurrogate(ch) && out.hasRemaining()) onChar(Character.toCodePoint(ch, out.get()));
        else onChar(ch);
      }
      if (pending.position() >= 4) pending.clear(); // never a valid sequence: drop it
    }
  }

  public void feed(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    feed(b, 0, b.length);
  }

  private void onChar(int ch) {
    switch (state) {
      case TEXT -> text(ch);
      case ESC -> escape(ch);
      case CSI -> {
        if (ch >= 0x40 && ch <= 0x7e) {
          csi(ch);
          state = State.TEXT;
        } else if (ch == 0x1b) {
          state = State.ESC;
        } else if (params.length() < 64) {
          params.append((char) ch);
        }
      }
      case OSC -> {
        if (ch == 7) state = State.TEXT;
        else if (ch == 0x1b) state = State.OSC_ESC;
      }
      case OSC_ESC -> state = ch == '\\' ? State.TEXT : State.OSC;
      case CHARSET -> state = State.TEXT;
    }
  }

  private void text(int ch) {
    switch (ch) {
      case 0x1b -> state = State.ESC;
      case '\r' -> {
        col = 0;
        wrapPending = false;
        changed();
      }
      case '\n', 0x0b, 0x0c -> lineFeed();
      case '\b' -> {
        if (col > 0) col = Math.min(col, columns - 1) - 1;
        wrapPending = false;
        changed();
      }
      case '\t' -> {
        col = Math.min(columns - 1, (col / 8 + 1) * 8);
        changed();
      }
      case 7, 0, 0x0e, 0x0f, 0x7f -> { }
      default -> {
        if (ch >= 0x20) put(ch);
      }
    }
  }

  private void put(int ch) {
    if (wrapPending) {
      col = 0;
      lineFeed();
    }
    if (insertMode) shiftRight(row, col, 1);
    int i = row * columns + col;
    chars[i] = ch;
    fg[i] = curFg;
    bg[i] = curBg;
    attrs[i] = curAttrs;
    if (col == columns - 1) wrapPending = autoWrap;
    else col++;
    changed();
  }

  private void lineFeed() {
    wrapPending = false;
    if (row == bottom) scrollUp(top, bottom, 1);
    else if (row < rows - 1) row++;
    changed();
  }

  private void reverseIndex() {
    if (row == top) scrollDown(top, bottom, 1);
    else if (row > 0) row--;
    changed();
  }

  private void escape(int ch) {
    state = State.TEXT;
    switch (ch) {
      case '[' -> {
        params.setLength(0);
        state = State.CSI;
      }
      case ']', 'P', '_', '^' -> state = State.OSC;
      case '(', ')', '*', '+', '#', '%' -> state = State.CHARSET;
      case '7' -> saveCursor();
      case '8' -> restoreCursor();
      case 'D' -> lineFeed();
      case 'E' -> {
        col = 0;
        lineFeed();
      }
      case 'M' -> reverseIndex();
      case 'c' -> reset();
      default -> { }
    }
  }

  private int[] numbers(int defaultValue) {
    String p = params.toString();
    if (!p.isEmpty() && (p.charAt(0) == '?' || p.charAt(0) == '>' || p.charAt(0) == '=')) p = p.substring(1);
    String[] parts = p.isEmpty() ? new String[0] : p.split("[;:]", -1);
    int[] out = new int[Math.max(1, parts.length)];
    Arrays.fill(out, defaultValue);
    for (int i = 0; i < parts.length; i++) {
      try {
        if (!parts[i].isEmpty()) out[i] = Math.min(9999, Integer.parseInt(parts[i]));
      } catch (NumberFormatException e) {
        out[i] = defaultValue;
      }
    }
    return out;
  }

  private void csi(int fin) {
    boolean privateMode = params.length() > 0 && params.charAt(0) == '?';
    if (params.length() > 0 && (params.charAt(0) == '>' || params.charAt(0) == '=')) return; // device queries
    int[] n = numbers(fin == 'm' || fin == 'J' || fin == 'K' || fin == 'r' ? 0 : 1);
    int a = Math.max(n[0], 0);
    int one = Math.max(1, n[0]);
    wrapPending = false;
    switch (fin) {
      case 'A' -> row = Math.max(row >= top ? top : 0, row - one);
      case 'B' -> row = Math.min(row <= bottom ? bottom : rows - 1, row + one);
      case 'C' -> col = Math.min(columns - 1, col + one);
      case 'D' -> col = Math.max(0, Math.min(col, columns - 1) - one);
      case 'E' -> {
        row = Math.min(rows - 1, row + one);
        col = 0;
      }
      case 'F' -> {
        row = Math.max(0, row - one);
        col = 0;
      }
      case 'G', '`' -> col = clamp(one - 1, columns);
      case 'd' -> row = clamp(one - 1, rows);
      case 'H', 'f' -> {
        row = clamp(Math.max(1, n[0]) - 1, rows);
        col = clamp((n.length > 1 ? Math.max(1, n[1]) : 1) - 1, columns);
      }
      case 'J' -> eraseDisplay(a);
      case 'K' -> eraseLine(a);
      case 'L' -> {
        if (row >= top && row <= bottom) scrollDown(row, bottom, one);
      }
      case 'M' -> {
        if (row >= top && row <= bottom) scrollUp(row, bottom, one);
      }
      case '@' -> shiftRight(row, Math.min(col, columns - 1), one);
      case 'P' -> shiftLeft(row, Math.min(col, columns - 1), one);
      case 'X' -> clear(row * columns + Math.min(col, columns - 1),
          Math.min(row * columns + columns, row * columns + Math.min(col, columns - 1) + one));
      case 'S' -> scrollUp(top, bottom, one);
      case 'T' -> scrollDown(top, bottom, one);
      case 'r' -> {
        int t = Math.max(1, n[0]) - 1;
        int b = (n.length > 1 && n[1] > 0 ? n[1] : rows) - 1;
        if (t < b && b < rows) {
          top = t;
          bottom = b;
          row = 0;
          col = 0;
        }
      }
      case 's' -> saveCursor();
      case 'u' -> restoreCursor();
      case 'm' -> sgr(n);
      case 'h', 'l' -> mode(privateMode, n, fin == 'h');
      default -> { }
    }
    changed();
  }

  private static int clamp(int v, int size) {
    return Math.max(0, Math.min(size - 1, v));
  }

  private void sgr(int[] n) {
    for (int i = 0; i < n.length; i++) {
      int p = n[i];
      if (p == 0) {
        curFg = DEFAULT;
        curBg = DEFAULT;
        curAttrs = 0;
      } else if (p == 1) {
        curAttrs |= BOLD;
      } else if (p == 4) {
        curAttrs |= UNDERLINE;
      } else if (p == 7) {
        curAttrs |= REVERSE;
      } else if (p == 22) {
        curAttrs &= ~BOLD;
      } else if (p == 24) {
        curAttrs &= ~UNDERLINE;
      } else if (p == 27) {
        curAttrs &= ~REVERSE;
      } else if (p >= 30 && p <= 37) {
        curFg = p - 30;
      } else if (p == 39) {
        curFg = DEFAULT;
      } else if (p >= 40 && p <= 47) {
        curBg = p - 40;
      } else if (p == 49) {
        curBg = DEFAULT;
      } else if (p >= 90 && p <= 97) {
        curFg = p - 90 + 8;
      } else if (p >= 100 && p <= 107) {
        curBg = p - 100 + 8;
      } else if ((p == 38 || p == 48) && i + 2 < n.length && n[i + 1] == 5) {
        // 256 colours: the first 16 map as they are, the rest to the nearest of the 16.
        int c = n[i + 2] < 16 ? n[i + 2] : 7;
        if (p == 38) curFg = c;
        else curBg = c;
        i += 2;
      } else if ((p == 38 || p == 48) && i + 4 < n.length && n[i + 1] == 2) {
        i += 4; // true colour: keep the current colour
      }
    }
  }

  private void mode(boolean privateMode, int[] n, boolean set) {
    for (int p : n) {
      if (!privateMode) {
        if (p == 4) insertMode = set;
        continue;
      }
      switch (p) {
        case 7 -> autoWrap = set;
        case 25 -> cursorVisible = set;
        case 47, 1047, 1049 -> alternate(set, p == 1049);
        case 1000, 1002, 1003 -> mouseMode = set ? p : 0;
        case 1006 -> sgrMouse = set;
        default -> { }
      }
    }
  }

  private void alternate(boolean on, boolean saveCursor) {
    if (on == alternate) return;
    if (on) {
      if (saveCursor) saveCursor();
      savedChars = chars.clone();
      savedFg = fg.clone();
      savedBg = bg.clone();
      savedAttrs = attrs.clone();
      clear(0, chars.length);
    } else {
      chars = savedChars;
      fg = savedFg;
      bg = savedBg;
      attrs = savedAttrs;
      if (saveCursor) restoreCursor();
    }
    alternate = on;
  }

  private void saveCursor() {
    savedRow = row;
    savedCol = col;
  }

  private void restoreCursor() {
    row = clamp(savedRow, rows);
    col = clamp(savedCol, columns);
    wrapPending = false;
    changed();
  }

  private void eraseDisplay(int how) {
    int at = row * columns + Math.min(col, columns - 1);
    switch (how) {
      case 0 -> clear(at, chars.length);
      case 1 -> clear(0, at + 1);
      default -> clear(0, chars.length);
    }
  }

  private void eraseLine(int how) {
    int start = row * columns;
    int at = start + Math.min(col, columns - 1);
    switch (how) {
      case 0 -> clear(at, start + columns);
      case 1 -> clear(start, at + 1);
      default -> clear(start, start + columns);
    }
  }

  /** Blanks cells [from, to) with the current background, as terminals do. */
  private void clear(int from, int to) {
    Arrays.fill(chars, from, to, ' ');
    Arrays.fill(fg, from, to, DEFAULT);
    Arrays.fill(bg, from, to, curBg);
    Arrays.fill(attrs, from, to, 0);
  }

  private void scrollUp(int from, int to, int count) {
    count = Math.min(count, to - from + 1);
    int keep = (to - from + 1 - count) * columns;
    move(from + count, from, keep);
    clear((to - count + 1) * columns, (to + 1) * columns);
  }

  private void scrollDown(int from, int to, int count) {
    count = Math.min(count, to - from + 1);
    int keep = (to - from + 1 - count) * columns;
    move(from, from + count, keep);
    clear(from * columns, (from + count) * columns);
  }

  private void move(int fromRow, int toRow, int cells) {
    System.arraycopy(chars, fromRow * columns, chars, toRow * columns, cells);
    System.arraycopy(fg, fromRow * columns, fg, toRow * columns, cells);
    System.arraycopy(bg, fromRow * columns, bg, toRow * columns, cells);
    System.arraycopy(attrs, fromRow * columns, attrs, toRow * columns, cells);
  }

  private void shiftRight(int r, int c, int count) {
    int start = r * columns + c;
    int end = r * columns + columns;
    count = Math.min(count, end - start);
    for (int[] a : new int[][] {chars, fg, bg, attrs}) System.arraycopy(a, start, a, start + count, end - start - count);
    clear(start, start + count);
  }

  private void shiftLeft(int r, int c, int count) {
    int start = r * columns + c;
    int end = r * columns + columns;
    count = Math.min(count, end - start);
    for (int[] a : new int[][] {chars, fg, bg, attrs}) System.arraycopy(a, start + count, a, start, end - start - count);
    clear(end - count, end);
  }

  private void reset() {
    chars = new int[columns * rows];
    fg = new int[columns * rows];
    bg = new int[columns * rows];
    attrs = new int[columns * rows];
    curFg = DEFAULT;
    curBg = DEFAULT;
    curAttrs = 0;
    clear(0, chars.length);
    row = 0;
    col = 0;
    top = 0;
    bottom = rows - 1;
    wrapPending = false;
    autoWrap = true;
    insertMode = false;
    cursorVisible = true;
    mouseMode = 0;
    sgrMouse = false;
    alternate = false;
    changed();
  }

  private void changed() {
    version++;
  }
}
