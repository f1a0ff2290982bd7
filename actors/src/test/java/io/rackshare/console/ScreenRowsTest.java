package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** A screen's changed rows, applied to the older image, give the newer one; only changed rows travel. */
class ScreenRowsTest {

  static ConsoleDriver.ScreenImage image(int columns, int rows, long version, Random random, ConsoleDriver.ScreenImage base,
      int... changedRows) {
    int n = columns * rows;
    int[] ch = base == null ? new int[n] : base.chars().clone();
    int[] fg = base == null ? new int[n] : base.foreground().clone();
    int[] bg = base == null ? new int[n] : base.background().clone();
    int[] at = base == null ? new int[n] : base.attributes().clone();
    for (int r : changedRows) {
      int c = random.nextInt(columns);
      switch (random.nextInt(4)) {
        case 0 -> ch[r * columns + c] = 'a' + random.nextInt(26);
        case 1 -> fg[r * columns + c] = random.nextInt(16);
        case 2 -> bg[r * columns + c] = random.nextInt(16);
        default -> at[r * columns + c] = 1 + random.nextInt(7);
      }
    }
    return new ConsoleDriver.ScreenImage(columns, rows, ch, fg, bg, at, random.nextInt(rows), random.nextInt(columns),
        random.nextBoolean(), random.nextInt(2) * 1000, random.nextBoolean(), version);
  }

  static void assertSame(ConsoleDriver.ScreenImage expected, ConsoleDriver.ScreenImage actual) {
    assertArrayEquals(expected.chars(), actual.chars());
    assertArrayEquals(expected.foreground(), actual.foreground());
    assertArrayEquals(expected.background(), actual.background());
    assertArrayEquals(expected.attributes(), actual.attributes());
    assertEquals(expected.cursorRow(), actual.cursorRow());
    assertEquals(expected.cursorColumn(), actual.cursorColumn());
    assertEquals(expected.cursorVisible(), actual.cursorVisible());
    assertEquals(expected.mouseMode(), actual.mouseMode());
    assertEquals(expected.sgrMouse(), actual.sgrMouse());
    assertEquals(expected.version(), actual.version());
  }

  @Test
  void changedRowsAppliedToTheOlderImageGiveTheNewer() {
    Random random = new Random(7);
    ConsoleDriver.ScreenImage older = image(80, 25, 1, random, null, 0, 3, 24);
    ConsoleDriver.ScreenImage newer = image(80, 25, 2, random, older, 5, 24);
    ScreenRows rows = ScreenRows.between(older, newer);
    assertArrayEquals(new int[] {5, 24}, rows.rowIndexes());
    assertEquals(2 * 80, rows.chars().length);
    assertSame(newer, rows.applyTo(older));
    // A change of nothing but the cursor sends no row.
    ConsoleDriver.ScreenImage moved = image(80, 25, 3, random, newer);
    ScreenRows cursorOnly = ScreenRows.between(newer, moved);
    assertEquals(0, cursorOnly.rowIndexes().length);
    assertSame(moved, cursorOnly.applyTo(newer));
  }

  @Test
  void anotherSizeIsNoDiff() {
    Random random = new Random(8);
    assertNull(ScreenRows.between(image(80, 25, 1, random, null), image(100, 30, 2, random, null)));
  }
}
