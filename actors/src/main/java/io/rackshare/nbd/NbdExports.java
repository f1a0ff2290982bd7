package io.rackshare.nbd;

import io.rackshare.access.BlockDevice;
import java.util.List;
import java.util.Optional;

/** What the NBD server exports: named block devices. It knows nothing else of Rackshare. */
public interface NbdExports {

  /** The export names, for NBD_OPT_LIST. */
  List<String> names();

  /** The export called {@code name}; the empty name means the only export, if there is one. */
  Optional<BlockDevice> open(String name);

  /** A one-line description for NBD_INFO_DESCRIPTION. */
  default String describe(String name) {
    return name;
  }
}
