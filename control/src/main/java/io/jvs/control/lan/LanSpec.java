package io.jvs.control.lan;

import io.jvs.control.common.JvsException;
import io.jvs.macvlan.LanMode;
import io.jvs.macvlan.ParentLink;
import io.jvs.macvlan.VlanTag;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver options of a macvlan or ipvlan network, checked: {@code -o parent=IFACE[.VLAN]} and, for ipvlan,
 * {@code -o ipvlan_mode=l2|l3}. A parent name with a numeric suffix after its last dot is a VLAN of the interface
 * before the dot, tagged by jvs (no kernel VLAN device is made or used).
 *
 * @param parent    the host interface, without the VLAN suffix.
 * @param vid       802.1Q VLAN ID, or 0 (untagged).
 * @param options   the options as given (inspect shows them).
 */
public record LanSpec(String driver, LanMode mode, String parent, int vid, Map<String, String> options)
{
    public static final String DRIVER_MACVLAN = "macvlan";
    public static final String DRIVER_IPVLAN = "ipvlan";
    public static final String PARENT = "parent";
    public static final String MACVLAN_MODE = "macvlan_mode";
    public static final String IPVLAN_MODE = "ipvlan_mode";

    public static boolean isLanDriver(final String driver)
    {
        return DRIVER_MACVLAN.equals(driver) || DRIVER_IPVLAN.equals(driver);
    }

    /** Parses and checks the options (not whether the parent exists: {@link LanNetworks} does that). */
    public static LanSpec parse(final String driver, final Map<String, String> given)
    {
        final Map<String, String> options = given == null ? Map.of() : given;
        final List<String> known = DRIVER_MACVLAN.equals(driver) ? List.of(PARENT, MACVLAN_MODE) :
            List.of(PARENT, IPVLAN_MODE);
        for (final String key : options.keySet())
        {
            if (!known.contains(key))
            {
                throw JvsException.invalid("unknown option \"" + key + "\" for driver " + driver + " (known: " +
                    String.join(", ", known) + ")");
            }
        }
        final String parentOption = options.get(PARENT);
        if (parentOption == null || parentOption.isBlank())
        {
            throw JvsException.invalid(driver + " networks need -o parent=IFACE[.VLAN]: the host interface on the LAN");
        }
        LanMode mode = LanMode.MACVLAN;
        if (DRIVER_MACVLAN.equals(driver))
        {
            final String macvlanMode = options.getOrDefault(MACVLAN_MODE, "bridge");
            if (!"bridge".equals(macvlanMode))
            {
                throw JvsException.invalid("invalid macvlan_mode \"" + macvlanMode + "\": jvs supports bridge only");
            }
        }
        else
        {
            final String ipvlanMode = options.getOrDefault(IPVLAN_MODE, "l2");
            mode = switch (ipvlanMode)
            {
                case "l2" -> LanMode.IPVLAN_L2;
                case "l3" -> LanMode.IPVLAN_L3;
                default -> throw JvsException.invalid("invalid ipvlan_mode \"" + ipvlanMode +
                    "\": it must be l2 or l3");
            };
        }
        String parent = parentOption;
        int vid = ParentLink.UNTAGGED;
        final int dot = parentOption.lastIndexOf('.');
        if (dot >= 0)
        {
            final String suffix = parentOption.substring(dot + 1);
            parent = parentOption.substring(0, dot);
            if (parent.isEmpty() || !suffix.matches("[0-9]{1,9}") || !VlanTag.isValidVid(Integer.parseInt(suffix)))
            {
                throw JvsException.invalid("invalid VLAN ID \"" + suffix + "\" in parent " + parentOption +
                    ": it must be " + VlanTag.MIN_VID + "-" + VlanTag.MAX_VID);
            }
            vid = Integer.parseInt(suffix);
        }
        if (mode == LanMode.IPVLAN_L3 && vid != ParentLink.UNTAGGED)
        {
            throw JvsException.invalid("ipvlan l3 cannot use a VLAN parent (" + parentOption + "): jvs routes with " +
                "the parent's own address, which the VLAN does not have");
        }
        return new LanSpec(driver, mode, parent, vid, new LinkedHashMap<>(options));
    }

    /** "eth0" or "eth0.10". */
    public String parentName()
    {
        return vid == ParentLink.UNTAGGED ? parent : parent + "." + vid;
    }
}
