package io.rackshare.console;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console station's RFB (VNC) server, RFC 6143: offers version 3.8 and accepts 3.7 and 3.3
 * (where the server picks the security type), security None or VNC authentication, any
 * true-colour pixel format the client sets; an incremental update request is answered as soon as
 * the screen changes, with the rows that changed. Encodings, as the client allows: CopyRect for
 * text that scrolled (the rows move on the viewer's side, only the new lines travel), Zlib (one
 * deflate stream per connection) for the changed rows, else Raw. Key events go to the
 * console as an xterm would send them ({@link Keysyms}); pointer events become xterm mouse reports
 * when the program asked for them.
 *
 * <p>Without a password it listens only on a loopback address: no unauthenticated console off
 * the machine. Bounded: at most {@link #MAX_VIEWERS} connections, {@link #HANDSHAKE_TIMEOUT_MS} to
 * get through the handshake, and a host that gave {@link #MAX_FAILURES} wrong passwords within a
 * minute is turned away until the minute has passed (each wrong answer also waits a second).
 */
public final class RfbServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RfbServer.class);
  static final int MAX_VIEWERS = 32;
  static final int HANDSHAKE_TIMEOUT_MS = 10_000;
  static final int MAX_FAILURES = 5;
  private static final long FAILURE_WINDOW_NANOS = 60_000_000_000L;
  private static final long FAILURE_DELAY_MS = 1_000;
  /** Wrong passwords in the last minute, by host: when each was given. */
  private final ConcurrentHashMap<String, java.util.Deque<Long>> failures = new ConcurrentHashMap<>();

  /**
   * {@code password}: "" = security None (loopback only); VNC authentication uses its first 8
   * bytes. {@code viewPassword}: a second password that only watches ("" = none).
   */
  public record Settings(String hostname, int port, String password, int fontSize, String name,
      String viewPassword) {
    public Settings(String hostname, int port, String password, int fontSize, String name) {
      this(hostname, port, password, fontSize, name, "");
    }
  }

  /** What the server sent since it started, by kind: for the benchmark and the tests. */
  public record Stats(long updates, long rawRects, long zlibRects, long copyRects, long pixelBytes, long wireBytes) {}

  private final java.util.concurrent.atomic.AtomicLongArray counters = new java.util.concurrent.atomic.AtomicLongArray(6);

  public Stats stats() {
    return new Stats(counters.get(0), counters.get(1), counters.get(2), counters.get(3), counters.get(4),
        counters.get(5));
  }

  /** The last frame drawn, which every viewer of that state and banner shares (read only). */
  private record Rendered(long seq, int columns, int rows, String banner, int[] pixels) {}

  private Rendered lastRendered;

  /** {@code state} drawn with {@code banner}: once per state for all viewers, not once per viewer. */
  private synchronized int[] rendered(ConsoleView.State state, String banner) {
    Rendered r = lastRendered;
    ConsoleDriver.ScreenImage image = state.image();
    if (r == null || r.seq() != state.seq() || r.columns() != image.columns() || r.rows() != image.rows()
        || !java.util.Objects.equals(r.banner(), banner)) {
      r = new Rendered(state.seq(), image.columns(), image.rows(), banner, renderer.render(image, banner));
      lastRendered = r;
    }
    return r.pixels();
  }

  /** The viewer whose keys reach the console: one at a time (null: whoever types first). */
  private volatile Session writer;

  private final Settings settings;
  private final ConsoleView view;
  private final ScreenRenderer renderer;
  private final ServerSocket server;
  private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private RfbServer(Settings settings, ConsoleView view, ServerSocket server) {
    this.settings = settings;
    this.view = view;
    this.renderer = new ScreenRenderer(settings.fontSize());
    this.server = server;
  }

  public static RfbServer start(Settings settings, ConsoleView view) throws IOException {
    InetAddress address = InetAddress.getByName(settings.hostname());
    if (settings.password().isEmpty() && !address.isLoopbackAddress()) {
      throw new IllegalArgumentException("rackshare.console.station: RFB without a password listens only on "
          + "loopback, not on " + settings.hostname() + "; set a password");
    }
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(address, settings.port()));
    RfbServer rfb = new RfbServer(settings, view, s);
    Thread acceptor = new Thread(rfb::accept, "rackshare-rfb-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    return rfb;
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket c = server.accept();
        if (clients.size() >= MAX_VIEWERS) {
          log.warn("RFB: refused {}: {} viewers connected already", c.getRemoteSocketAddress(), MAX_VIEWERS);
          c.close();
          continue;
        }
        c.setTcpNoDelay(true);
        clients.add(c);
        Thread t = new Thread(() -> serve(c), "rackshare-rfb-" + c.getRemoteSocketAddress());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) log.warn("RFB accept: {}", e.toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** The pixel format a client asked for (true colour only). */
  record PixelFormat(int bitsPerPixel, boolean bigEndian, int redMax, int greenMax, int blueMax, int redShift,
      int greenShift, int blueShift) {
    static final PixelFormat DEFAULT = new PixelFormat(32, false, 255, 255, 255, 16, 8, 0);

    void write(DataOutputStream out) throws IOException {
      out.writeByte(bitsPerPixel);
      out.writeByte(bitsPerPixel == 32 ? 24 : bitsPerPixel);
      out.writeByte(bigEndian ? 1 : 0);
      out.writeByte(1);
      out.writeShort(redMax);
      out.writeShort(greenMax);
      out.writeShort(blueMax);
      out.writeByte(redShift);
      out.writeByte(greenShift);
      out.writeByte(blueShift);
      out.write(new byte[3]);
    }

    static PixelFormat read(DataInputStream in) throws IOException {
      int bpp = in.readUnsignedByte();
      in.readUnsignedByte(); // depth
      boolean big = in.readUnsignedByte() != 0;
      boolean trueColour = in.readUnsignedByte() != 0;
      PixelFormat pf = new PixelFormat(bpp, big, in.readUnsignedShort(), in.readUnsignedShort(),
          in.readUnsignedShort(), in.readUnsignedByte(), in.readUnsignedByte(), in.readUnsignedByte());
      in.readFully(new byte[3]);
      if (!trueColour || (bpp != 8 && bpp != 16 && bpp != 32)) {
        throw new IOException("unsupported pixel format (colour map or " + bpp + " bits per pixel)");
      }
      return pf;
    }

    int bytes() {
      return bitsPerPixel / 8;
    }

    void put(byte[] out, int at, int rgb) {
      int r = (rgb >> 16) & 0xff;
      int g = (rgb >> 8) & 0xff;
      int b = rgb & 0xff;
      long v = ((long) (r * redMax / 255) << redShift) | ((long) (g * greenMax / 255) << greenShift)
          | ((long) (b * blueMax / 255) << blueShift);
      int n = bytes();
      for (int i = 0; i < n; i++) {
        int shift = bigEndian ? (n - 1 - i) * 8 : i * 8;
        out[at + i] = (byte) (v >>> shift);
      }
    }
  }

  private void serve(Socket socket) {
    String who = String.valueOf(socket.getRemoteSocketAddress());
    try (socket) {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
      socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
      Boolean full = handshake(in, out, host(socket));
      if (full == null) return;
      // The shared flag: 0 asks for the console alone, which here means "take the keyboard"
      // (force-attach); 1 joins the others, watching unless nobody writes.
      boolean exclusive = in.readUnsignedByte() == 0;
      ConsoleView.State first = view.awaitNewer(-1, 10_000);
      int columns = first == null ? 80 : first.image().columns();
      int rows = first == null ? 25 : first.image().rows();
      int width = renderer.width(columns);
      int height = renderer.height(rows);
      out.writeShort(width);
      out.writeShort(height);
      PixelFormat.DEFAULT.write(out);
      byte[] name = settings.name().getBytes(StandardCharsets.UTF_8);
      out.writeInt(name.length);
      out.write(name);
      out.flush();
      socket.setSoTimeout(0); // a viewer may watch without a word for hours
      Session session = new Session(in, out, width, height, columns, rows, full, host(socket));
      log.info("RFB viewer {} attached ({}x{}, {})", who, width, height,
          !full ? "view only" : exclusive ? "takes the keyboard" : "shared");
      if (full && exclusive) session.takeKeyboard();
      else if (full) claimIfFree(session);
      try {
        session.run();
      } finally {
        synchronized (this) {
          if (writer == session) writer = null;
        }
        session.close();
      }
    } catch (EOFException e) {
      log.info("RFB viewer {} left", who);
    } catch (java.net.SocketTimeoutException e) {
      log.info("RFB viewer {} did not finish its handshake in {} ms; closed", who, HANDSHAKE_TIMEOUT_MS);
    } catch (IOException | InterruptedException e) {
      if (!closed) log.info("RFB viewer {} dropped: {}", who, e.toString());
    } finally {
      clients.remove(socket);
    }
  }

  private static String host(Socket s) {
    return s.getInetAddress() == null ? "?" : s.getInetAddress().getHostAddress();
  }

  private synchronized boolean claimIfFree(Session s) {
    if (writer == null) writer = s;
    return writer == s;
  }

  /**
   * Version and security: true for a viewer that may type, false for one that only watches (the
   * view password), null if the client is turned away.
   */
  private Boolean handshake(DataInputStream in, DataOutputStream out, String host) throws IOException {
    out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    byte[] v = new byte[12];
    in.readFully(v);
    String version = new String(v, StandardCharsets.US_ASCII);
    if (!version.matches("RFB 003\\.\\d{3}\n")) {
      throw new IOException("not an RFB client: " + io.rackshare.util.LogText.quote(version));
    }
    int minor = Integer.parseInt(version.substring(8, 11));
    boolean auth = !settings.password().isEmpty();
    int type = auth ? 2 : 1;
    if (auth && recentFailures(host) >= MAX_FAILURES) {
      // No security type at all, with the reason (RFC 6143 7.1.2; 3.3: type 0 = invalid).
      log.warn("RFB: turned away {}: {} wrong passwords within a minute", host, MAX_FAILURES);
      byte[] r = "too many authentication failures; try again in a minute".getBytes(StandardCharsets.UTF_8);
      if (minor < 7) out.writeInt(0);
      else out.writeByte(0);
      out.writeInt(r.length);
      out.write(r);
      out.flush();
      return null;
    }
    if (minor < 7) {
      out.writeInt(type); // 3.3: the server decides
    } else {
      out.writeByte(1);
      out.writeByte(type);
      out.flush();
      int chosen = in.readUnsignedByte();
      if (chosen != type) return fail(out, minor, "security type " + chosen + " is not offered");
    }
    boolean full = true;
    if (auth) {
      byte[] challenge = new byte[16];
      new SecureRandom().nextBytes(challenge);
      out.write(challenge);
      out.flush();
      byte[] response = new byte[16];
      in.readFully(response);
      if (!MessageDigest.isEqual(response, vncAuth(settings.password(), challenge))) {
        if (settings.viewPassword().isEmpty()
            || !MessageDigest.isEqual(response, vncAuth(settings.viewPassword(), challenge))) {
          failures.computeIfAbsent(host, h -> new java.util.concurrent.ConcurrentLinkedDeque<>()).add(System.nanoTime());
          log.warn("RFB: a viewer at {} gave a wrong password", host);
          try {
            Thread.sleep(FAILURE_DELAY_MS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return fail(out, minor, "authentication failed");
        }
        full = false;
      }
      out.writeInt(0);
    } else if (minor >= 8) {
      out.writeInt(0);
    }
    out.flush();
    return full;
  }

  /**
   * VNC authentication for another channel of the station (its audio, {@link AudioSocket}): true
   * for the password, false for the view password, null for a wrong answer, which counts against
   * {@code host} as an RFB one does; null, too, while {@code host} is turned away.
   */
  Boolean authenticate(String host, byte[] challenge, byte[] response) {
    if (settings.password().isEmpty()) return true;
    if (recentFailures(host) >= MAX_FAILURES) return null;
    if (MessageDigest.isEqual(response, vncAuth(settings.password(), challenge))) return true;
    if (!settings.viewPassword().isEmpty() && MessageDigest.isEqual(response, vncAuth(settings.viewPassword(),
        challenge))) {
      return false;
    }
    failures.computeIfAbsent(host, h -> new java.util.concurrent.ConcurrentLinkedDeque<>()).add(System.nanoTime());
    return null;
  }

  /** Wrong passwords {@code host} gave in the last minute (older ones are forgotten). */
  private int recentFailures(String host) {
    java.util.Deque<Long> times = failures.get(host);
    if (times == null) return 0;
    long now = System.nanoTime();
    while (!times.isEmpty() && now - times.peekFirst() > FAILURE_WINDOW_NANOS) times.pollFirst();
    if (times.isEmpty()) failures.remove(host, times);
    return times.size();
  }

  private static Boolean fail(DataOutputStream out, int minor, String reason) throws IOException {
    out.writeInt(1);
    if (minor >= 8) {
      byte[] r = reason.getBytes(StandardCharsets.UTF_8);
      out.writeInt(r.length);
      out.write(r);
    }
    out.flush();
    return null;
  }

  /** VNC authentication: DES of the challenge, keyed with the password's bytes bit-reversed. */
  static byte[] vncAuth(String password, byte[] challenge) {
    byte[] key = new byte[8];
    byte[] p = password.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < 8 && i < p.length; i++) key[i] = (byte) (Integer.reverse(p[i] & 0xff) >>> 24);
    try {
      Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
      des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
      return des.doFinal(challenge);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("DES is not available", e);
    }
  }

  /** One attached viewer after the handshake. */
  private final class Session {
    private final DataInputStream in;
    private final DataOutputStream out;
    private final int width;
    private final int height;
    private final Keysyms keys = new Keysyms();
    private volatile PixelFormat format = PixelFormat.DEFAULT;
    private int[] sent;
    /** Row hashes of {@code sent}, and of the frame being sent, when the scroll search computed them. */
    private int[] sentHashes;
    private int[] pixelHashes;
    private long sentSeq = -1;
    /** The encodings the client allows besides Raw (SetEncodings). */
    private boolean copyRect;
    private boolean zlib;
    private java.util.zip.Deflater deflater;
    private int buttons;

    private final int columnsShown;
    private final int rowsShown;

    /** May type (full password, or none set); otherwise only watches. */
    private final boolean full;
    private final String host;
    /** What this viewer alone is told (who took the keyboard), over the station's banner. */
    private volatile String notice;
    private volatile boolean noticeChanged;

    Session(DataInputStream in, DataOutputStream out, int width, int height, int columns, int rows, boolean full,
        String host) {
      this.full = full;
      this.host = host;
      this.in = in;
      this.out = out;
      this.width = width;
      this.height = height;
      this.columnsShown = columns;
      this.rowsShown = rows;
    }

    void close() {
      if (deflater != null) deflater.end();
    }

    /** Force-attach: this viewer gets the keyboard; the one who had it is told who took it. */
    void takeKeyboard() {
      Session old;
      synchronized (RfbServer.this) {
        old = writer;
        writer = this;
      }
      if (old != null && old != this) {
        old.tell("a viewer at " + host + " took over the keyboard; you are watching");
        log.info("RFB viewer at {} took the keyboard from {}", host, old.host);
      }
      tell(null);
    }

    void tell(String text) {
      notice = text;
      noticeChanged = true;
    }

    /** {@code s} cut or padded to the size this viewer was given. */
    private ConsoleDriver.ScreenImage fit(ConsoleDriver.ScreenImage s) {
      int n = columnsShown * rowsShown;
      int[] ch = new int[n];
      int[] fg = new int[n];
      int[] bg = new int[n];
      int[] at = new int[n];
      java.util.Arrays.fill(ch, ' ');
      java.util.Arrays.fill(fg, Screen.DEFAULT);
      java.util.Arrays.fill(bg, Screen.DEFAULT);
      for (int r = 0; r < Math.min(rowsShown, s.rows()); r++) {
        for (int c = 0; c < Math.min(columnsShown, s.columns()); c++) {
          int i = r * columnsShown + c;
          int j = r * s.columns() + c;
          ch[i] = s.chars()[j];
          fg[i] = s.foreground()[j];
          bg[i] = s.background()[j];
          at[i] = s.attributes()[j];
        }
      }
      return new ConsoleDriver.ScreenImage(columnsShown, rowsShown, ch, fg, bg, at,
          Math.min(s.cursorRow(), rowsShown - 1), Math.min(s.cursorColumn(), columnsShown - 1), s.cursorVisible(),
          s.mouseMode(), s.sgrMouse(), s.version());
    }

    void run() throws IOException, InterruptedException {
      // An update request is answered as soon as the screen differs from what this viewer has;
      // meanwhile its other messages (keys) are read as they come.
      boolean pending = false;
      boolean whole = false;
      while (true) {
        if (pending && in.available() == 0) {
          if (update(whole)) {
            pending = false;
            whole = false;
          }
          continue;
        }
        int type = in.readUnsignedByte();
        switch (type) {
          case 0 -> {
            in.readFully(new byte[3]);
            format = PixelFormat.read(in);
            sent = null; // the next update is whole, in the new format
          }
          case 2 -> {
            in.readUnsignedByte();
            int n = in.readUnsignedShort();
            boolean cr = false;
            boolean z = false;
            for (int i = 0; i < n; i++) { // Raw is always understood
              int encoding = in.readInt();
              cr |= encoding == 1;
              z |= encoding == 6;
            }
            copyRect = cr;
            zlib = z;
          }
          case 3 -> {
            boolean incremental = in.readUnsignedByte() != 0;
            in.readUnsignedShort();
            in.readUnsignedShort();
            in.readUnsignedShort();
            in.readUnsignedShort();
            pending = true;
            whole |= !incremental;
          }
          case 4 -> {
            boolean down = in.readUnsignedByte() != 0;
            in.readUnsignedShort();
            byte[] b = keys.key(down, in.readInt() & 0xffffffffL);
            if (b != null) {
              if (full && claimIfFree(this)) view.keys(b);
              else if (notice == null) tell(full ? "view only: another viewer has the keyboard"
                  : "view only: this viewer watches");
            }
          }
          case 5 -> pointer(in.readUnsignedByte(), in.readUnsignedShort(), in.readUnsignedShort());
          case 6 -> {
            in.readFully(new byte[3]);
            int n = in.readInt();
            if (n < 0 || n > 1 << 20) throw new IOException("cut text of " + n + " bytes");
            in.readFully(new byte[n]);
          }
          default -> throw new IOException("unknown RFB client message " + type);
        }
      }
    }

    /**
     * Sends the screen if there is something to send: all of it when {@code whole} (or nothing was
     * sent yet), else the rows that changed. Waits up to 50 ms for a change; false if none.
     */
    private boolean update(boolean whole) throws IOException, InterruptedException {
      whole |= sent == null;
      boolean noticed = noticeChanged;
      noticeChanged = false;
      ConsoleView.State state = view.awaitNewer(whole || noticed ? -1 : sentSeq, noticed ? 0 : 50);
      if (state == null) {
        noticeChanged |= noticed;
        return false;
      }
      if (state.image().columns() != columnsShown || state.image().rows() != rowsShown) {
        // A target with another screen size: shown in the corner of this framebuffer.
        state = new ConsoleView.State(state.seq(), fit(state.image()), state.banner());
      }
      String n = notice;
      int[] pixels = rendered(state, n != null ? n : state.banner());
      pixelHashes = null;
      sentSeq = state.seq();
      java.io.ByteArrayOutputStream rects = new java.io.ByteArrayOutputStream();
      DataOutputStream msg = new DataOutputStream(rects);
      int count = 0;
      int first = 0;
      int last = height - 1;
      if (!whole) {
        int[] before = sent;
        if (copyRect) {
          int[] scrolled = scroll(pixels, msg);
          if (scrolled != null) {
            count++;
            before = scrolled;
          }
        }
        while (first < height && sameRow(pixels, before, first)) first++;
        while (last > first && sameRow(pixels, before, last)) last--;
        if (first >= height && count == 0) return false; // a change that left every pixel as it was
      }
      if (first < height) {
        rect(msg, pixels, first, last - first + 1);
        count++;
      }
      out.writeByte(0);
      out.writeByte(0);
      out.writeShort(count);
      rects.writeTo(out);
      out.flush();
      counters.incrementAndGet(0);
      counters.addAndGet(5, 4 + rects.size());
      sent = pixels;
      sentHashes = pixelHashes;
      return true;
    }

    /**
     * If the text scrolled (rows of the last frame sent are now whole cell rows higher or lower),
     * writes a CopyRect that moves them on the viewer's side and returns the viewer's framebuffer
     * after it; else null. Only worth it when it moves at least two text rows that changed.
     */
    private int[] scroll(int[] pixels, DataOutputStream msg) throws IOException {
      int ch = renderer.cellHeight();
      int[] now = rowHashes(pixels);
      int[] was = sentHashes != null ? sentHashes : rowHashes(sent);
      pixelHashes = now; // the next update's "was"
      int bestFrom = -1;
      int bestTo = -1;
      int bestShift = 0;
      int bestGain = 2 * ch - 1;
      for (int m = 1; m < rowsShown; m++) {
        for (int shift : new int[] {m * ch, -m * ch}) { // > 0: the text moved up
          int runStart = -1;
          int gain = 0;
          for (int y = 0; y <= height; y++) {
            int src = y + shift;
            boolean match = y < height && src >= 0 && src < height && now[y] == was[src]
                && java.util.Arrays.equals(pixels, y * width, (y + 1) * width, sent, src * width, (src + 1) * width);
            if (match) {
              if (runStart < 0) {
                runStart = y;
                gain = 0;
              }
              if (now[y] != was[y]) gain++;
            } else if (runStart >= 0) {
              if (gain > bestGain) {
                bestGain = gain;
                bestFrom = runStart;
                bestTo = y;
                bestShift = shift;
              }
              runStart = -1;
            }
          }
        }
      }
      if (bestFrom < 0) return null;
      int rowsMoved = bestTo - bestFrom;
      msg.writeShort(0);
      msg.writeShort(bestFrom);
      msg.writeShort(width);
      msg.writeShort(rowsMoved);
      msg.writeInt(1); // CopyRect
      msg.writeShort(0);
      msg.writeShort(bestFrom + bestShift);
      counters.incrementAndGet(3);
      int[] after = sent.clone();
      System.arraycopy(sent, (bestFrom + bestShift) * width, after, bestFrom * width, rowsMoved * width);
      return after;
    }

    private int[] rowHashes(int[] pixels) {
      int[] h = new int[height];
      for (int y = 0; y < height; y++) {
        int v = 1;
        for (int i = y * width, end = i + width; i < end; i++) v = 31 * v + pixels[i];
        h[y] = v;
      }
      return h;
    }

    /** Rows {@code first} .. {@code first + rowsOut - 1}, whole width: Zlib if the client takes it, else Raw. */
    private void rect(DataOutputStream msg, int[] pixels, int first, int rowsOut) throws IOException {
      PixelFormat pf = format;
      byte[] raw = new byte[width * rowsOut * pf.bytes()];
      for (int y = 0; y < rowsOut; y++) {
        for (int x = 0; x < width; x++) pf.put(raw, (y * width + x) * pf.bytes(), pixels[(first + y) * width + x]);
      }
      msg.writeShort(0);
      msg.writeShort(first);
      msg.writeShort(width);
      msg.writeShort(rowsOut);
      counters.addAndGet(4, raw.length);
      if (zlib) {
        if (deflater == null) deflater = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED);
        deflater.setInput(raw);
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream(raw.length / 8 + 64);
        byte[] buf = new byte[16384];
        int n;
        do {
          n = deflater.deflate(buf, 0, buf.length, java.util.zip.Deflater.SYNC_FLUSH);
          z.write(buf, 0, n);
        } while (n == buf.length || !deflater.needsInput());
        msg.writeInt(6); // Zlib
        msg.writeInt(z.size());
        z.writeTo(msg);
        counters.incrementAndGet(2);
      } else {
        msg.writeInt(0); // Raw
        msg.write(raw);
        counters.incrementAndGet(1);
      }
    }

    private boolean sameRow(int[] pixels, int[] before, int y) {
      return java.util.Arrays.equals(pixels, y * width, (y + 1) * width, before, y * width, (y + 1) * width);
    }

    /** Mouse buttons and wheel as xterm reports, when the program asked for them. */
    private void pointer(int mask, int x, int y) {
      ConsoleDriver.ScreenImage s = view.current();
      if (s == null || s.mouseMode() == 0) {
        buttons = mask;
        return;
      }
      int col = Math.min(s.columns() - 1, x / renderer.cellWidth()) + 1;
      int row = Math.min(s.rows() - 1, y / renderer.cellHeight()) + 1;
      StringBuilder b = new StringBuilder();
      for (int bit = 0; bit < 5; bit++) {
        boolean was = (buttons & (1 << bit)) != 0;
        boolean now = (mask & (1 << bit)) != 0;
        if (was == now) continue;
        int code = bit < 3 ? bit : 64 + bit - 3;
        if (!now && bit >= 3) continue; // wheel: the press is the event
        b.append(mouseReport(code, col, row, now, s));
      }
      buttons = mask;
      if (b.length() > 0 && full && claimIfFree(this)) view.keys(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private String mouseReport(int code, int col, int row, boolean press, ConsoleDriver.ScreenImage s) {
      if (s.sgrMouse()) return "\u001b[<" + code + ";" + col + ";" + row + (press ? "M" : "m");
      int c = press ? code : 3;
      return "\u001b[M" + (char) (32 + c) + (char) (32 + Math.min(col, 223)) + (char) (32 + Math.min(row, 223));
    }
  }
}
