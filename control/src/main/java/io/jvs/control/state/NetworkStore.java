package io.jvs.control.state;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the control plane knows: networks, sandboxes and the endpoints joining them. Kept behind this
 * interface so a journal can make it durable later; callers serialise access (the service holds one lock).
 * Lists come back in a stable order: networks and sandboxes by name, endpoints by network then sandbox.
 */
public interface NetworkStore
{
    List<Network> networks();

    Optional<Network> network(String id);

    void putNetwork(Network network);

    void removeNetwork(String id);

    List<Sandbox> sandboxes();

    Optional<Sandbox> sandbox(String name);

    void putSandbox(Sandbox sandbox);

    void removeSandbox(String name);

    List<Endpoint> endpoints();

    Optional<Endpoint> endpoint(String networkId, String sandbox);

    /** Records the endpoint; clears the attach intent of its host interface, if any, in the same write. */
    void putEndpoint(Endpoint endpoint);

    void removeEndpoint(String networkId, String sandbox);

    /** Endpoint id to its published port ranges ("8080:80/tcp"), for endpoints that publish any. */
    Map<String, List<String>> publishedPorts();

    /** Records an endpoint's published ranges; an empty list removes the record. */
    void putPublishedPorts(String endpointId, List<String> ranges);

    /** By sandbox name. */
    List<Endpoint> endpointsOfNetwork(String networkId);

    /** By network name. */
    List<Endpoint> endpointsOfSandbox(String sandbox);

    /** The endpoint with this id (ids are unique across networks). */
    Optional<Endpoint> endpointById(String id);

    /**
     * Host interfaces of attaches in flight: recorded before the veth is made, cleared when the endpoint is recorded
     * (or the attach undone). One left at start is a connect a crash cut short: its veth, if any, is deleted.
     */
    List<String> attachIntents();

    void putAttachIntent(String hostInterface);

    void removeAttachIntent(String hostInterface);
}
