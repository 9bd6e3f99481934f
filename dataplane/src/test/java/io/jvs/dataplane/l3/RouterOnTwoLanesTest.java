package io.jvs.dataplane.l3;

import io.jvs.dataplane.SwitchConfig;

/**
 * Every router test again with two forwarding lanes: c1 and the uplink on lane 0 (the router's), c2 on lane 1, so
 * c2's frames reach the router, and the router's frames reach c2, through the lanes' hand-off rings.
 */
class RouterOnTwoLanesTest extends RouterTest
{
    @Override
    SwitchConfig switchConfig()
    {
        return SwitchConfig.defaults().withLanes(2).withSwitchCpus("none");
    }
}
