package io.rackshare.testkit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The console station's web viewer (noVNC) in Debian's headless Chromium, driven by {@code
 * src/test/browser/viewer.mjs} of the actors module through playwright-core: one command line in,
 * one answer line out ({@code type}, {@code snap}, {@code open}, {@code use}, {@code quit}).
 */
public final class StationBrowser implements AutoCloseable {

  private final Process process;
  private final BufferedReader in;
  private final Writer out;
  private final Path log;

  private StationBrowser(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.out = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /** Copies the viewer script and its package.json from {@code source} to {@code dir} and installs them from npm. */
  public static void install(Path source, Path dir) throws Exception {
    Files.createDirectories(dir);
    for (String f : List.of("package.json", "viewer.mjs")) {
      Files.copy(source.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    Tool.run(Duration.ofMinutes(5), Map.of(), List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"),
        dir).ok();
  }

  /** Opens the viewer at {@code url} in a browser started from {@code dir}; returns once noVNC is connected. */
  public static StationBrowser open(Path dir, String url, Path log) throws Exception {
    Process p = new ProcessBuilder("node", dir.resolve("viewer.mjs").toString(), url)
        .directory(dir.toFile()).redirectError(log.toFile()).start();
    StationBrowser b = new StationBrowser(p, log);
    String first = b.in.readLine();
    if (!"CONNECTED".equals(first)) {
      p.destroy();
      throw new AssertionError("noVNC did not connect (" + first + "); see " + log);
    }
    return b;
  }

  /** Sends one command and returns its answer. */
  public String command(String line) throws Exception {
    out.write(line + "\n");
    out.flush();
    String answer = in.readLine();
    if (answer == null) throw new AssertionError("the browser script ended; see " + log);
    return answer;
  }

  @Override
  public void close() {
    try {
      command("quit");
    } catch (Exception | AssertionError e) {
      // the browser went already
    }
    process.destroy();
  }
}
