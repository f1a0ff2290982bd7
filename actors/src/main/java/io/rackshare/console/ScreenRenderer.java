package io.rackshare.console;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/**
 * Draws a {@link ConsoleDriver.ScreenImage} as pixels (0xRRGGBB), one character cell at a time in
 * a monospaced font (the system's, through Java2D, headless): what the console station shows its
 * viewers. The 16 colours are xterm's defaults; the cursor is a block in reverse video.
 */
public final class ScreenRenderer {

  static final int[] PALETTE = {
      0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
      0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};
  static final int DEFAULT_FG = 0xe5e5e5;
  static final int DEFAULT_BG = 0x000000;

  private final Font font;
  private final Font bold;
  private final int cellWidth;
  private final int cellHeight;
  private final int ascent;

  public ScreenRenderer(int fontSize) {
    this.font = new Font(Font.MONOSPACED, Font.PLAIN, fontSize);
    this.bold = font.deriveFont(Font.BOLD);
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = probe.createGraphics();
    FontMetrics m = g.getFontMetrics(font);
    this.cellWidth = m.charWidth('M');
    this.cellHeight = m.getHeight();
    this.ascent = m.getAscent();
    g.dispose();
  }

  public int cellWidth() {
    return cellWidth;
  }

  public int cellHeight() {
    return cellHeight;
  }

  public int width(int columns) {
    return columns * cellWidth;
  }

  public int height(int rows) {
    return rows * cellHeight;
  }

  /** The screen's pixels, row-major, {@code width(columns)} by {@code height(rows)}. */
  public int[] render(ConsoleDriver.ScreenImage s, String banner) {
    BufferedImage img = new BufferedImage(width(s.columns()), height(s.rows()), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
    char[] one = new char[2];
    for (int r = 0; r < s.rows(); r++) {
      for (int c = 0; c < s.columns(); c++) {
        int i = r * s.columns() + c;
        int fg = s.foreground()[i] < 0 ? DEFAULT_FG : PALETTE[s.foreground()[i]];
        int bg = s.background()[i] < 0 ? DEFAULT_BG : PALETTE[s.background()[i]];
        boolean cursor = s.cursorVisible() && r == s.cursorRow() && c == s.cursorColumn();
        if (((s.attributes()[i] & Screen.REVERSE) != 0) ^ cursor) {
          int t = fg;
          fg = bg;
          bg = t;
        }
        int x = c * cellWidth;
        int y = r * cellHeight;
        g.setColor(new Color(bg));
        g.fillRect(x, y, cellWidth, cellHeight);
        int ch = s.chars()[i];
        if (ch != ' ') {
          g.setColor(new Color(fg));
          g.setFont((s.attributes()[i] & Screen.BOLD) != 0 ? bold : font);
          int n = Character.toChars(ch, one, 0);
          g.drawChars(one, 0, n, x, y + ascent);
        }
        if ((s.attributes()[i] & Screen.UNDERLINE) != 0) {
          g.setColor(new Color(fg));
          g.drawLine(x, y + cellHeight - 2, x + cellWidth - 1, y + cellHeight - 2);
        }
      }
    }
    if (banner != null) {
      // A state line across the top (e.g. "blade 3 is down"), in reverse video.
      g.setColor(new Color(0xcdcd00));
      g.fillRect(0, 0, img.getWidth(), cellHeight);
      g.setColor(Color.BLACK);
      g.setFont(bold);
      g.drawString(banner, cellWidth, ascent);
    }
    g.dispose();
    return ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
  }
}
