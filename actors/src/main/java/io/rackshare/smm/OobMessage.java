package io.rackshare.smm;

import io.rackshare.serialization.RackshareSerializable;

/**
 * A message that travels between blades on the out-of-band channel. The receiving {@link
 * SmmHandler} dispatches it to its registered handlers in order until one claims it (0068).
 */
public interface OobMessage extends RackshareSerializable {

  /** Messages for the global resource manager, wherever it currently runs. */
  interface ForManager extends OobMessage {}
}
