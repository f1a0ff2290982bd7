package io.rackshare.console;

import com.typesafe.config.Config;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.blade.ResourceDiscovery;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import java.util.List;

/**
 * Discovers a blade's console devices (0096-0105) when {@code rackshare.console.command} is set:
 * {@code .../Video(0)}, its screen; {@code .../Keyboard(0)}, its pseudo-terminal's input; {@code
 * .../Mouse(0)}, xterm mouse reports into it. They are registered with the manager like disks, so
 * the global resource map can route a console station to them. One driver, the blade's {@link
 * ConsoleService} (with the {@link ConsoleDriver} that runs the command), serves all three.
 */
public final class ConsoleDiscovery implements ResourceDiscovery {

  @Override
  public List<DiscoveredResource> discover(BladeId blade, Config config) {
    ConsoleSettings settings;
    try {
      settings = ConsoleSettings.fromConfig(config.getConfig("console"));
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("rackshare.console: " + e.getMessage(), e);
    }
    if (settings.command().isEmpty()) return List.of();
    ConsoleDriver.Settings driver = settings.driver(blade);
    ResourceDescriptor video = new ResourceDescriptor(DevicePath.video(blade),
        new ResourceConfig.Video(settings.columns(), settings.rows(), String.join(" ", settings.command())));
    return List.of(
        new DiscoveredResource(video, null, c -> ConsoleService.create(c, driver)),
        DiscoveredResource.servedElsewhere(new ResourceDescriptor(DevicePath.keyboard(blade),
            new ResourceConfig.Keyboard("utf-8"))),
        DiscoveredResource.servedElsewhere(new ResourceDescriptor(DevicePath.mouse(blade),
            new ResourceConfig.Mouse("xterm"))));
  }
}
