package io.rackshare.serialization;

import com.esotericsoftware.kryo.Kryo;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.smm.SmmHandler;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Explicit Kryo ids of every core class that crosses JVMs. Never reuse or renumber an id. */
public final class CoreRegistrations implements KryoRegistrar {

  @Override
  public void registerClasses(Kryo k) {
    // JDK types (10-99)
    k.register(byte[].class, 10);
    k.register(List.of().getClass(), 20);
    k.register(List.of(1).getClass(), 21);
    k.register(Map.of().getClass(), 22);
    k.register(Map.of(1, 1).getClass(), 23);
    k.register(Set.of().getClass(), 24);
    k.register(Set.of(1).getClass(), 25);

    // map (100-199)
    k.register(BladeId.class, 100);
    k.register(DevicePath.class, 101);
    k.register(ResourceConfig.Block.class, 102);
    k.register(ResourceDescriptor.class, 103);
    k.register(Extent.class, 104);
    k.register(DeviceSegment.class, 105);
    k.register(GlobalResourceDescriptor.class, 106);
    k.register(GlobalResourceMap.class, 107);
    k.register(Member.class, 108);
    k.register(Member.State.class, 109);
    k.register(io.rackshare.map.ConsoleRoute.class, 110);
    k.register(ResourceConfig.Video.class, 111);
    k.register(ResourceConfig.Keyboard.class, 112);
    k.register(ResourceConfig.Mouse.class, 113);
    k.register(io.rackshare.map.Part.class, 114);
    k.register(io.rackshare.map.VolumeRequest.class, 115);
    k.register(io.rackshare.map.Growth.class, 116);
    k.register(io.rackshare.map.Move.class, 117);
    k.register(io.rackshare.map.Drain.class, 118);
    k.register(ResourceConfig.Medium.class, 120);

    // smm (200-299)
    k.register(SmmHandler.Hello.class, 200);
    k.register(SmmHandler.Envelope.class, 201);
    k.register(SmmHandler.ReplyEnvelope.class, 202);
    k.register(SmmHandler.ManagerAt.class, 203);
    k.register(SmmHandler.ManagerGone.class, 204);
    k.register(SmmHandler.Unclaimed.class, 205);

    // 300-404 were block messages on Artery; they travel on the data lane now (retired ids).

    // manager (500-599)
    k.register(ManagerProtocol.RegisterResources.class, 500);
    k.register(ManagerProtocol.ResyncRequest.class, 501);
    k.register(ManagerProtocol.GetMap.class, 502);
    k.register(ManagerProtocol.MapUpdate.class, 503);
    k.register(ManagerProtocol.MapInstalled.class, 504);
    k.register(ManagerProtocol.MemberFailed.class, 505);
    k.register(ManagerProtocol.MapConfirmed.class, 506);
    k.register(ManagerProtocol.RebuildDone.class, 507);
    k.register(ManagerProtocol.RebuildProgress.class, 508);
    k.register(io.rackshare.manager.ResourceManager.Wake.class, 509);
    k.register(ManagerProtocol.RouteConsole.class, 510);
    k.register(ManagerProtocol.ConsoleRouteAnswer.class, 511);
    k.register(ManagerProtocol.CreateVolume.class, 512);
    k.register(ManagerProtocol.VolumeAnswer.class, 513);
    k.register(ManagerProtocol.PartReady.class, 514);
    k.register(ManagerProtocol.GrowVolume.class, 515);
    k.register(ManagerProtocol.RemoveVolume.class, 516);
    k.register(ManagerProtocol.ExportClients.class, 517);
    k.register(ManagerProtocol.ExportClientsAnswer.class, 518);
    k.register(ManagerProtocol.MoveDone.class, 519);
    // 520-527 were manager events; they are journaled as JSON now (retired ids).
    k.register(ManagerProtocol.DrainBlade.class, 528);
    k.register(ManagerProtocol.DrainAnswer.class, 529);
    // console (600-649)
    k.register(int[].class, 600);
    k.register(io.rackshare.console.ConsoleDriver.ScreenImage.class, 601);
    k.register(io.rackshare.console.ConsoleProtocol.Attach.class, 602);
    k.register(io.rackshare.console.ConsoleProtocol.Detach.class, 603);
    k.register(io.rackshare.console.ConsoleProtocol.Keys.class, 604);
    k.register(io.rackshare.console.ConsoleProtocol.Frame.class, 605);
    k.register(io.rackshare.console.ConsoleProtocol.GetLog.class, 606);
    k.register(io.rackshare.console.ConsoleProtocol.Log.class, 607);
    k.register(io.rackshare.console.ConsoleProtocol.Refused.class, 608);
    k.register(io.rackshare.console.ConsoleProtocol.FrameRows.class, 609);
    k.register(io.rackshare.console.ScreenRows.class, 610);

    // removable media (700-749)
    k.register(io.rackshare.media.MediaProtocol.ChangeMedium.class, 700);
    k.register(io.rackshare.media.MediaProtocol.MediumAnswer.class, 701);
  }
}
