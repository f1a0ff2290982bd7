package io.rackshare.node;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the {@code rackshare} command line in this JVM and keeps what it printed. */
record CliRun(int code, String out, String err) {

  static CliRun of(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = System.out;
    StringWriter err = new StringWriter();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = RackshareCli.commandLine().setErr(new PrintWriter(err, true)).execute(args);
    } finally {
      System.setOut(out);
    }
    return new CliRun(code, captured.toString(StandardCharsets.UTF_8), err.toString());
  }
}
