package io.rackshare.console;

import io.rackshare.testkit.Medians;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What the station's RFB server sends while text scrolls ({@code bench/console.sh}): a shell on
 * the console prints numbered lines, a viewer asks for incremental updates as fast as they come,
 * and the server counts what it wrote. Side by side in one run, per encoding set the viewer
 * offers: Raw alone (the reference), CopyRect + Raw, Zlib, and CopyRect + Zlib (what noVNC and
 * vncsnapshot offer). Rounds alternate; medians go to {@code target/rfb-bench.md}.
 */
@EnabledIfSystemProperty(named = "rackshare.bench", matches = "true")
class RfbBandwidthBench {

  record Sample(String encodings, long updates, long wireBytes, long pixelBytes, long copyRects) {}

  /** A viewer that offers {@code encodings} and reads updates until stopped; it decodes nothing. */
  static final class Viewer implements AutoCloseable {
    final Socket socket;
    final Thread reader;

    Viewer(int port, int[] encodings) throws Exception {
      socket = new Socket("127.0.0.1", port);
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      in.readFully(new byte[12]);
      out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
      in.readFully(new byte[in.readUnsignedByte()]);
      out.writeByte(1); // None
      if (in.readInt() != 0) throw new IllegalStateException("refused");
      out.writeByte(1); // shared
      int w = in.readUnsignedShort();
      int h = in.readUnsignedShort();
      in.readFully(new byte[16]);
      in.readFully(new byte[in.readInt()]);
      out.writeByte(2);
      out.writeByte(0);
      out.writeShort(encodings.length);
      for (int e : encodings) out.writeInt(e);
      request(out, false, w, h);
      reader = new Thread(() -> {
        try {
          while (true) {
            int type = in.readUnsignedByte();
            if (type != 0) throw new IllegalStateException("message " + type);
            in.readUnsignedByte();
            int rects = in.readUnsignedShort();
            for (int i = 0; i < rects; i++) {
              in.readUnsignedShort();
              in.readUnsignedShort();
              int rw = in.readUnsignedShort();
              int rh = in.readUnsignedShort();
              int encoding = in.readInt();
              switch (encoding) {
                case 0 -> in.readFully(new byte[rw * rh * 4]);
                case 1 -> in.readFully(new byte[4]);
                case 6 -> in.readFully(new byte[in.readInt()]);
                default -> throw new IllegalStateException("encoding " + encoding);
              }
            }
            request(out, true, w, h);
          }
        } catch (Exception e) {
          // closed
        }
      }, "rfb-bench-viewer");
      reader.start();
    }

    static void request(DataOutputStream out, boolean incremental, int w, int h) throws java.io.IOException {
      out.writeByte(3);
      out.writeByte(incremental ? 1 : 0);
      out.writeShort(0);
      out.writeShort(0);
      out.writeShort(w);
      out.writeShort(h);
      out.flush();
    }

    @Override
    public void close() throws Exception {
      socket.close();
      reader.join(5000);
    }
  }

  static void awaitLine(ConsoleView view, String line) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      ConsoleDriver.ScreenImage s = view.current();
      if (s != null && s.text().lines().anyMatch(l -> l.equals(line))) return;
      Thread.sleep(20);
    }
    throw new AssertionError("no line " + line);
  }

  /** The server's counters once it has sent at least {@code updates} and then nothing for 200 ms. */
  static RfbServer.Stats quiet(RfbServer rfb, long updates) throws InterruptedException {
    RfbServer.Stats last = rfb.stats();
    long stillSince = System.nanoTime();
    while (last.updates() < updates || System.nanoTime() - stillSince < 200_000_000L) {
      Thread.sleep(10);
      RfbServer.Stats now = rfb.stats();
      if (now.updates() != last.updates()) stillSince = System.nanoTime();
      last = now;
    }
    return last;
  }

  @Test
  void scrollingText() throws Exception {
    int rounds = Integer.getInteger("rackshare.bench.rounds", 3);
    int lines = Integer.getInteger("rackshare.bench.lines", 300);
    ActorTestKit kit = ActorTestKit.create("rfb-bench");
    try {
      ActorRef<ConsoleDriver.Command> console = kit.spawn(ConsoleDriver.create(new ConsoleDriver.Settings(
          List.of("bash", "--norc", "--noprofile", "-i"), 80, 25, 1 << 16, Duration.ofMillis(200))));
      ConsoleView view = ConsoleView.of(kit.system(), console, "rfb-bench-view");
      String[] names = {"Raw (reference)", "CopyRect + Raw", "Zlib", "CopyRect + Zlib"};
      int[][] sets = {{0}, {1, 0}, {6, 0}, {1, 6, 0}};
      List<Sample> samples = new ArrayList<>();
      try (RfbServer rfb = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "", 14, "bench"), view)) {
        for (int round = 0; round < rounds; round++) {
          for (int k = 0; k < sets.length; k++) {
            String end = "end-" + round + "-" + k;
            console.tell(new ConsoleDriver.Keys(("clear; echo start-" + end + "\r").getBytes(StandardCharsets.UTF_8)));
            awaitLine(view, "start-" + end);
            long updates = rfb.stats().updates();
            try (Viewer v = new Viewer(rfb.address().getPort(), sets[k])) {
              RfbServer.Stats before = quiet(rfb, updates + 1); // after the first, whole frame
              console.tell(new ConsoleDriver.Keys(("for i in $(seq 1 " + lines + "); do echo line-$i; sleep 0.002;"
                  + " done; echo " + end + "\r").getBytes(StandardCharsets.UTF_8)));
              awaitLine(view, end);
              RfbServer.Stats after = quiet(rfb, before.updates() + 1);
              Sample s = new Sample(names[k], after.updates() - before.updates(),
                  after.wireBytes() - before.wireBytes(), after.pixelBytes() - before.pixelBytes(),
                  after.copyRects() - before.copyRects());
              System.out.println("RFB-BENCH " + s);
              samples.add(s);
            }
          }
        }
      }
      double reference = Medians.of(samples.stream().filter(s -> s.encodings().equals(names[0]))
          .map(s -> (double) s.wireBytes() / Math.max(1, s.updates())).toList());
      StringBuilder md = new StringBuilder(
          "| viewer offers | updates | bytes sent | bytes per update | vs Raw | CopyRects |\n|---|---|---|---|---|---|\n");
      for (String name : names) {
        List<Sample> r = samples.stream().filter(s -> s.encodings().equals(name)).toList();
        double perUpdate = Medians.of(r.stream().map(s -> (double) s.wireBytes() / Math.max(1, s.updates())).toList());
        md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f KiB | %.0f | %.3f | %.0f |%n", name,
            Medians.of(r.stream().map(s -> (double) s.updates()).toList()),
            Medians.of(r.stream().map(s -> s.wireBytes() / 1024.0).toList()), perUpdate, perUpdate / reference,
            Medians.of(r.stream().map(s -> (double) s.copyRects()).toList())));
      }
      md.append(String.format(Locale.ROOT, "%n%d lines scrolled through an 80x25 console per run; medians of %d rounds;"
          + " every sample:%n%n", lines, rounds));
      samples.forEach(s -> md.append("- ").append(s).append('\n'));
      Files.writeString(Path.of("target", "rfb-bench.md"), md.toString());
      System.out.println(md);
    } finally {
      kit.shutdownTestKit();
    }
  }
}
