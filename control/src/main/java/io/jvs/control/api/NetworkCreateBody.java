package io.jvs.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.common.JsonFields;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr6;
import io.jvs.control.network.CreateNetworkRequest;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /networks/create} as Docker's API shapes it: {@code IPAM.Config} holds at most one IPv4 and one IPv6
 * entry (told apart by the family of the Subnet, else of the Gateway or IPRange), {@code EnableIPv6} asks for the
 * IPv6 side (a /64 of the pool when no IPv6 entry names a subnet), {@code EnableIPv4: false} makes it IPv6-only.
 */
final class NetworkCreateBody
{
    private static final String CONFIG = "IPAM.Config";

    private NetworkCreateBody()
    {
    }

    static CreateNetworkRequest parse(final JsonNode body)
    {
        final List<JsonNode> configs = JsonFields.objects(JsonFields.object(body, "", "IPAM"), "IPAM", "Config");
        JsonNode v4 = null;
        JsonNode v6 = null;
        for (int i = 0; i < configs.size(); i++)
        {
            final JsonNode config = configs.get(i);
            final String at = CONFIG + "[" + i + "]";
            if (isIpv6(config, at))
            {
                if (v6 != null)
                {
                    throw JvsException.invalid("only one IPv6 subnet per network: " + CONFIG + " has two");
                }
                if (!JsonFields.strings(config, at, "AuxiliaryAddresses").isEmpty())
                {
                    throw JvsException.invalid("auxiliary addresses are not supported in an IPv6 subnet yet");
                }
                v6 = config;
            }
            else
            {
                if (v4 != null)
                {
                    throw JvsException.invalid("only one IPv4 subnet per network: " + CONFIG + " has two");
                }
                v4 = config;
            }
        }
        final boolean enableIpv6 = JsonFields.bool(body, "", "EnableIPv6", false);
        if (v6 != null && !enableIpv6)
        {
            throw JvsException.invalid("an IPv6 subnet needs --ipv6 (EnableIPv6)");
        }
        final String at4 = CONFIG + "[v4]";
        final String at6 = CONFIG + "[v6]";
        return new CreateNetworkRequest(JsonFields.text(body, "", "Name"), JsonFields.text(body, "", "Driver"),
            text(v4, at4, "Subnet"), text(v4, at4, "Gateway"), JsonFields.bool(body, "", "Internal", false),
            JsonFields.strings(body, "", "Options"), text(v4, at4, "IPRange"),
            v4 == null ? Map.of() : JsonFields.strings(v4, at4, "AuxiliaryAddresses"),
            enableIpv6, text(v6, at6, "Subnet"), text(v6, at6, "Gateway"), text(v6, at6, "IPRange"),
            JsonFields.bool(body, "", "EnableIPv4", true));
    }

    private static boolean isIpv6(final JsonNode config, final String at)
    {
        for (final String field : new String[]{"Subnet", "Gateway", "IPRange"})
        {
            final String value = JsonFields.text(config, at, field);
            if (value != null && !value.isEmpty())
            {
                return Cidr6.looksLikeIpv6(value);
            }
        }
        return false;
    }

    private static String text(final JsonNode config, final String at, final String field)
    {
        return config == null ? null : JsonFields.text(config, at, field);
    }
}
