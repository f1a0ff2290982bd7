package io.rackshare.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The fuzz tests' oracle beside their own checks: nothing a client sent made this JVM log an
 * error or a stack trace, or end a thread with an uncaught exception (docs/SECURITY.md: "no input
 * makes a blade ... log a stack trace"). One watch per JVM, attached to the root logger; a test
 * takes a {@link #mark()} before its input and asserts {@link #noneSince} after the server is done
 * with it.
 */
public final class Unexpected {
  private static final Unexpected INSTANCE = new Unexpected();

  private final List<String> seen = new ArrayList<>();

  private Unexpected() {
    AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        if (e.getLevel().isGreaterOrEqual(Level.ERROR) || e.getThrowableProxy() != null) {
          record(e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
              + (e.getThrowableProxy() == null ? "" : " (" + e.getThrowableProxy().getClassName() + ": "
                  + e.getThrowableProxy().getMessage() + ")"));
        }
      }
    };
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appender.setContext(root.getLoggerContext());
    appender.setName("unexpected");
    appender.start();
    root.addAppender(appender);
    Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      record("uncaught in " + t.getName() + ": " + e);
      if (before != null) before.uncaughtException(t, e);
      else e.printStackTrace();
    });
  }

  /** The watch of this JVM (installed on first use). */
  public static Unexpected watch() {
    return INSTANCE;
  }

  private synchronized void record(String what) {
    seen.add(what);
  }

  /** How many unexpected events this JVM has seen so far. */
  public synchronized int mark() {
    return seen.size();
  }

  /** Fails, naming them, if anything unexpected happened since {@code mark}. */
  public synchronized void noneSince(int mark, String context) {
    if (seen.size() > mark) {
      throw new AssertionError(context + ": " + String.join("\n  ", seen.subList(mark, seen.size())));
    }
  }
}
