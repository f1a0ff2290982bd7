package io.rackshare.node;

import io.rackshare.tls.ClusterCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rackshare certs}: makes the cluster's CA (once) and issues a blade's certificate. Run on
 * the operator's machine, which keeps {@code ca.key}; copy {@code DIR/BLADE} to the blade and name
 * it in {@code rackshare.tls.dir}.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
    description = {"Make the cluster's CA (the first time) and a certificate for a blade.",
        "Writes DIR/ca.crt and DIR/ca.key, then DIR/BLADE/{tls.crt,tls.key,ca.crt} for rackshare.tls.dir.",
        "Run again for the same blade to rotate its certificate: it reads the new files within 5 minutes."})
final class Certs implements Callable<Integer> {

  @Option(names = "--dir", required = true, description = "where the CA is (or is made)")
  Path dir;

  @Option(names = "--cluster", defaultValue = "rackshare",
      description = "the cluster's name, the common name of every certificate (default ${DEFAULT-VALUE})")
  String cluster;

  @Option(names = "--blade", description = "the blade to issue a certificate for (a name for its directory)")
  String blade;

  @Option(names = "--address", split = ",",
      description = "the blade's host names and IP addresses (NBD clients that check the server's name need them)")
  List<String> addresses = List.of();

  @Override
  public Integer call() throws Exception {
    boolean made = !Files.exists(dir.resolve(ClusterCa.CA_CERT));
    ClusterCa ca = ClusterCa.loadOrCreate(dir, cluster);
    if (made) System.out.println("made the CA of cluster '" + ca.cluster() + "': " + dir.resolve(ClusterCa.CA_CERT));
    if (blade != null) {
      if (addresses.isEmpty()) throw new IllegalArgumentException("--address: name at least one of the blade's addresses");
      Path out = ca.issue(blade, addresses, dir.resolve(blade));
      System.out.println("issued " + out.resolve(ClusterCa.CERT) + " for " + blade + " " + addresses
          + "; set rackshare.tls.dir = \"" + out.toAbsolutePath() + "\" on that blade");
    }
    return 0;
  }
}
