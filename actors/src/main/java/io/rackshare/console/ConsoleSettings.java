package io.rackshare.console;

import com.typesafe.config.Config;
import io.rackshare.map.BladeId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code rackshare.console}: this blade's console devices and, on one blade, the station. */
public record ConsoleSettings(List<String> command, int columns, int rows, int logBytes, Duration restartDelay,
    Station station) {

  /** {@code target}: the blade shown first (empty: the station's own). */
  public record Station(boolean enabled, String hostname, int port, String password, int fontSize,
      Optional<BladeId> target, int webPort, String novncDir, String novncUrl, String viewPassword,
      List<String> webHosts, String webTls) {}

  public static ConsoleSettings fromConfig(Config c) {
    Config s = c.getConfig("station");
    String target = s.getString("target").trim();
    int columns = c.getInt("columns");
    int rows = c.getInt("rows");
    if (columns < 20 || rows < 5 || columns > 300 || rows > 120) {
      throw new IllegalArgumentException("rackshare.console: a " + columns + "x" + rows + " screen");
    }
    return new ConsoleSettings(c.getStringList("command"), columns, rows, (int) Math.min(Integer.MAX_VALUE,
        c.getBytes("log-bytes")), c.getDuration("restart-delay"),
        new Station(s.getBoolean("enabled"), s.getString("hostname"), s.getInt("port"), s.getString("password"),
            s.getInt("font-size"), target.isEmpty() ? Optional.empty() : Optional.of(BladeId.parse(target)),
            s.getInt("web-port"), s.getString("novnc-dir"),
            !s.getString("novnc-url").isEmpty() ? s.getString("novnc-url")
                : "/novnc/core/rfb.js", s.getString("view-password"), s.getStringList("web-hosts"),
            s.getString("web-tls")));
  }

  public ConsoleDriver.Settings driver(BladeId blade) {
    return new ConsoleDriver.Settings(command, columns, rows, logBytes, restartDelay,
        java.util.Map.of("RACKSHARE_BLADE", blade.toString()));
  }
}
