package io.rackshare.console;

import java.util.Arrays;

/**
 * The rows of a screen that changed between two images of it, with the cursor and mouse mode of
 * the newer: what a blade's console sends its stations after their first whole frame, instead of
 * the whole screen at every change (a typed key changes one row of 25).
 */
public record ScreenRows(int[] rowIndexes, int[] chars, int[] foreground, int[] background, int[] attributes,
    int cursorRow, int cursorColumn, boolean cursorVisible, int mouseMode, boolean sgrMouse, long version) {

  /** The change from {@code from} to {@code to}; null if their sizes differ (then send the whole image). */
  public static ScreenRows between(ConsoleDriver.ScreenImage from, ConsoleDriver.ScreenImage to) {
    if (from.columns() != to.columns() || from.rows() != to.rows()) return null;
    int c = to.columns();
    int[] changed = new int[to.rows()];
    int n = 0;
    for (int r = 0; r < to.rows(); r++) {
      int a = r * c;
      int b = a + c;
      if (!Arrays.equals(from.chars(), a, b, to.chars(), a, b)
          || !Arrays.equals(from.foreground(), a, b, to.foreground(), a, b)
          || !Arrays.equals(from.background(), a, b, to.background(), a, b)
          || !Arrays.equals(from.attributes(), a, b, to.attributes(), a, b)) {
        changed[n++] = r;
      }
    }
    int[] rows = Arrays.copyOf(changed, n);
    int[] ch = new int[n * c];
    int[] fg = new int[n * c];
    int[] bg = new int[n * c];
    int[] at = new int[n * c];
    for (int i = 0; i < n; i++) {
      System.arraycopy(to.chars(), rows[i] * c, ch, i * c, c);
      System.arraycopy(to.foreground(), rows[i] * c, fg, i * c, c);
      System.arraycopy(to.background(), rows[i] * c, bg, i * c, c);
      System.arraycopy(to.attributes(), rows[i] * c, at, i * c, c);
    }
    return new ScreenRows(rows, ch, fg, bg, at, to.cursorRow(), to.cursorColumn(), to.cursorVisible(), to.mouseMode(),
        to.sgrMouse(), to.version());
  }

  /** {@code base} with these rows and this cursor: the newer image. */
  public ConsoleDriver.ScreenImage applyTo(ConsoleDriver.ScreenImage base) {
    int c = base.columns();
    int[] ch = base.chars().clone();
    int[] fg = base.foreground().clone();
    int[] bg = base.background().clone();
    int[] at = base.attributes().clone();
    for (int i = 0; i < rowIndexes.length; i++) {
      System.arraycopy(chars, i * c, ch, rowIndexes[i] * c, c);
      System.arraycopy(foreground, i * c, fg, rowIndexes[i] * c, c);
      System.arraycopy(background, i * c, bg, rowIndexes[i] * c, c);
      System.arraycopy(attributes, i * c, at, rowIndexes[i] * c, c);
    }
    return new ConsoleDriver.ScreenImage(c, base.rows(), ch, fg, bg, at, cursorRow, cursorColumn, cursorVisible,
        mouseMode, sgrMouse, version);
  }
}
