package io.rackshare.testkit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logs of blades in one JVM, when logback is the SLF4J backend: every event the test's JVM
 * logs (at the levels its logback configuration lets through) goes to {@code cluster.log}, and
 * an event that Pekko logged for a blade's ActorSystem (MDC {@code pekkoAddress}) also to that
 * blade's {@code blade.log} (what it logged before that file was named, while its ActorSystem
 * started, too). Without logback, the files stay empty.
 */
final class InJvmLogs extends AppenderBase<ILoggingEvent> {

  private final Writer all;
  private final Map<String, Writer> byAddress = new ConcurrentHashMap<>();
  /**
   * Lines of ActorSystems whose blade file is not known yet: what a blade logs while its
   * ActorSystem starts (a service's extension, say) comes before {@link #blade} can name its file.
   */
  private final Map<String, java.util.List<String>> early = new java.util.HashMap<>();
  private int earlyLines;
  /** At most this many early lines are kept, over all addresses. */
  private static final int EARLY_MAX = 5000;

  private InJvmLogs(Path clusterLog) throws IOException {
    Files.createDirectories(clusterLog.getParent());
    this.all = Files.newBufferedWriter(clusterLog, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Starts writing {@code clusterLog}; null when logback is not the backend. */
  static InJvmLogs attach(Path clusterLog) {
    if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return null;
    try {
      InJvmLogs logs = new InJvmLogs(clusterLog);
      logs.setContext(context);
      logs.setName("rackshare-testkit-" + clusterLog);
      logs.start();
      context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
      return logs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Also writes what the ActorSystem at {@code address} logs to {@code file} (appending: a restart goes on). */
  synchronized void blade(String address, Path file) {
    try {
      Files.createDirectories(file.getParent());
      Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      java.util.List<String> before = early.remove(address);
      if (before != null) {
        for (String line : before) w.write(line);
        w.flush();
        earlyLines -= before.size();
      }
      Writer old = byAddress.put(address, w);
      if (old != null) old.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected synchronized void append(ILoggingEvent e) {
    String line = Instant.ofEpochMilli(e.getTimeStamp()) + " " + e.getLevel() + " [" + e.getThreadName() + "] "
        + e.getLoggerName() + " - " + e.getFormattedMessage()
        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName() + ": "
            + e.getThrowableProxy().getMessage())
        + "\n";
    String address = e.getMDCPropertyMap().get("pekkoAddress");
    try {
      all.write(line);
      all.flush();
      Writer w = address == null ? null : byAddress.get(address);
      if (w != null) {
        w.write(line);
        w.flush();
      } else if (address != null && earlyLines < EARLY_MAX) {
        early.computeIfAbsent(address, a -> new java.util.ArrayList<>()).add(line);
        earlyLines++;
      }
    } catch (IOException ex) {
      addError("cannot write a blade's log", ex);
    }
  }

  /** Detaches and closes the files. */
  synchronized void detach() {
    ((LoggerContext) getContext()).getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
    stop();
    try {
      all.close();
      for (Writer w : byAddress.values()) w.close();
    } catch (IOException e) {
      addError("cannot close a blade's log", e);
    }
  }
}
