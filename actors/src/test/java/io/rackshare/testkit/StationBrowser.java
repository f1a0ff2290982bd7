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
 * one answer line out ({@code type}, {@code snap}, {@code open}, {@code use}, {@code quit}). Other
 * scripts there drive other pages the same way ({@link #start}: {@code map.mjs}, the map page).
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

  /**
   * Skips the calling test, saying why, where there is no browser to drive: Debian's Chromium
   * ({@code /usr/bin/chromium}) or node and npm are missing.
   */
  public static void assumeAvailable() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")),
        "no /usr/bin/chromium here (Debian's chromium package): the browser test is skipped");
    for (String tool : List.of("node", "npm")) {
      boolean runs;
      try {
        Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        runs = p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!runs) p.destroyForcibly();
      } catch (java.io.IOException e) {
        runs = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        runs = false;
      }
      org.junit.jupiter.api.Assumptions.assumeTrue(runs, "no " + tool + " here: the browser test is skipped");
    }
  }

  /** Copies the viewer script and its package.json from {@code source} to {@code dir} and installs them from npm. */
  public static void install(Path source, Path dir) throws Exception {
    install(source, dir, "viewer.mjs");
  }

  /** As above, for {@code script}. */
  public static void install(Path source, Path dir, String script) throws Exception {
    Files.createDirectories(dir);
    for (String f : List.of("package.json", script)) {
      Files.copy(source.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    Tool.run(Duration.ofMinutes(5), Map.of(), List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"),
        dir).ok();
  }

  /** Opens the viewer at {@code url} in a browser started from {@code dir}; returns once noVNC is connected. */
  public static StationBrowser open(Path dir, String url, Path log) throws Exception {
    return start(dir, "viewer.mjs", url, log, "CONNECTED");
  }

  /**
   * Opens {@code url} with {@code script} (installed in {@code dir}); returns once the script says
   * {@code ready} (it gives up after its own timeout, and the browser's log is in {@code log}).
   */
  public static StationBrowser start(Path dir, String script, String url, Path log, String ready) throws Exception {
    Process p = new ProcessBuilder("node", dir.resolve(script).toString(), url)
        .directory(dir.toFile()).redirectError(log.toFile()).start();
    StationBrowser b = new StationBrowser(p, log);
    String first = b.in.readLine();
    if (!ready.equals(first)) {
      p.destroy();
      throw new AssertionError(script + " did not get ready (" + first + "); see " + log);
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
