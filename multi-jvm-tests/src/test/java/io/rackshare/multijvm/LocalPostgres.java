package io.rackshare.multijvm;

import io.rackshare.testkit.Tool;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from Debian's package ({@code .ci/run} installs it), started by the
 * test in a temporary directory on a loopback port, as the postgres user when the tests run as
 * root (PostgreSQL refuses to run as root).
 */
final class LocalPostgres implements AutoCloseable {

  static final Duration T = Duration.ofMinutes(2);
  final Path data;
  final Path bin;
  final int port;
  final boolean asRoot = "root".equals(System.getProperty("user.name"));

  private LocalPostgres(Path data, Path bin, int port) {
    this.data = data;
    this.bin = bin;
    this.port = port;
  }

  static Path binaries() throws Exception {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.sorted(Comparator.reverseOrder()).map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb"))).findFirst()
          .orElseThrow(() -> new AssertionError("no PostgreSQL server in /usr/lib/postgresql: apt-get install postgresql"));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new AssertionError("PostgreSQL is not installed: apt-get install postgresql");
    }
  }

  List<String> as(String... command) {
    List<String> c = new ArrayList<>();
    if (asRoot) c.addAll(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(command));
    return c;
  }

  static LocalPostgres start(Path dir) throws Exception {
    Path bin = binaries();
    Path data = dir.resolve("pgdata");
    Files.createDirectories(data);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LocalPostgres pg = new LocalPostgres(data, bin, port);
    if (pg.asRoot) Tool.run(T, "chown", "-R", "postgres:postgres", dir.toString()).ok();
    Tool.run(T, Map.of(), pg.as(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "rackshare",
        "--auth=trust", "-E", "UTF8")).ok();
    Tool.run(T, Map.of(), pg.as(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l",
        dir.resolve("postgres.log").toString(), "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start")).ok();
    Tool.run(T, Map.of(), pg.as(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", "rackshare", "rackshare")).ok();
    return pg;
  }

  String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/rackshare";
  }

  @Override
  public void close() {
    Tool.run(T, Map.of(), as(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "stop"));
  }
}
