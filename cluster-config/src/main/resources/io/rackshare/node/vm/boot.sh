#!/bin/sh
# The console command of a blade that boots the Rackshare guest (written by GuestConsole): waits
# for a boot request (a script that runs qemu in this terminal, so that the guest's serial
# console is the blade's console), runs it, says how qemu ended, and waits for the next.
req="$1"
echo "RACKSHARE-VM: console ready for boot requests in $req"
while :; do
  while [ ! -e "$req" ]; do sleep 0.2; done
  mv -f "$req" "$req.running"
  sh "$req.running"
  echo "RACKSHARE-VM: qemu exited with $?"
done
