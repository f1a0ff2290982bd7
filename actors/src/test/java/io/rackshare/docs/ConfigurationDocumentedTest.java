package io.rackshare.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/CONFIGURATION.md names every {@code rackshare.*} leaf key (a list counts as one leaf) of the
 * runtime's reference.conf and of the node defaults, cluster-config's rackshare-cluster.conf, by its
 * full path: a key added without documentation fails the build.
 */
class ConfigurationDocumentedTest {

  static final Path DOC = Path.of("..", "docs", "CONFIGURATION.md");
  static final Path NODE_DEFAULTS = Path.of("..", "cluster-config", "src", "main", "resources", "rackshare-cluster.conf");

  @Test
  void everyRackshareKeyOfReferenceConfIsDocumented() throws IOException {
    Config reference = ConfigFactory.parseResources("reference.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    List<String> keys = rackshareLeaves(reference);
    assertTrue(keys.size() > 100, "only " + keys.size() + " rackshare keys in reference.conf: " + keys);
    assertAllDocumented("reference.conf", keys);
  }

  @Test
  void everyRackshareKeyOfTheNodeDefaultsIsDocumented() throws IOException {
    assertTrue(Files.isRegularFile(NODE_DEFAULTS), "no " + NODE_DEFAULTS.toAbsolutePath().normalize());
    Config node = ConfigFactory.parseFile(NODE_DEFAULTS.toFile()).resolve();
    List<String> keys = rackshareLeaves(node);
    assertTrue(keys.contains("rackshare.manager.journal.url"), keys.toString());
    assertAllDocumented(NODE_DEFAULTS.getFileName().toString(), keys);
  }

  @Test
  void aKeyIsMentionedOnlyByItsWholePath() {
    String doc = "`rackshare.blade.media-dir` and rackshare.nbd.tls.mode. and `rackshare.oob.data-lane-port`";
    assertEquals(List.of("rackshare.blade.media", "rackshare.nbd.tls", "rackshare.oob.port"),
        missing(doc, List.of("rackshare.blade.media", "rackshare.blade.media-dir", "rackshare.nbd.tls",
            "rackshare.nbd.tls.mode", "rackshare.oob.port", "rackshare.oob.data-lane-port")));
  }

  static List<String> rackshareLeaves(Config config) {
    if (!config.hasPath("rackshare")) return List.of();
    return config.getConfig("rackshare").entrySet().stream().map(Map.Entry::getKey)
        .map(k -> "rackshare." + k).collect(Collectors.toCollection(TreeSet::new)).stream().toList();
  }

  static void assertAllDocumented(String source, List<String> keys) throws IOException {
    assertTrue(Files.isRegularFile(DOC), "no " + DOC.toAbsolutePath().normalize());
    List<String> missing = missing(Files.readString(DOC, StandardCharsets.UTF_8), keys);
    if (!missing.isEmpty()) {
      fail(missing.size() + " key(s) of " + source + " not documented in docs/CONFIGURATION.md (name each by its"
          + " full path):\n  " + String.join("\n  ", missing));
    }
  }

  /** The keys {@code doc} does not name by their whole path (a longer key or a child does not count). */
  static List<String> missing(String doc, List<String> keys) {
    return keys.stream()
        .filter(k -> !Pattern.compile("(?<![\\w.-])" + Pattern.quote(k) + "(?![\\w-]|\\.\\w)").matcher(doc).find())
        .toList();
  }
}
