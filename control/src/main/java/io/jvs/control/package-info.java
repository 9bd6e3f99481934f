/**
 * jvs's control layer: the daemon, its API, the CLI, and everything that turns a request into kernel and switch
 * state. No class lives here; each subpackage has one job, and none imports this package:
 * <ul>
 * <li>{@code daemon}: {@code Daemon}, the start and stop order of everything below;</li>
 * <li>{@code network}: {@code NetworkService} (validation, the store, addresses, veths, undo) and a
 *     {@code NetworkDriver} per kind of network (bridge, macvlan/ipvlan, overlay, host/none);</li>
 * <li>{@code api}, {@code cli}: the local HTTP API on a unix socket, and the picocli client of it;</li>
 * <li>{@code docker}: Docker's remote network driver and IPAM plugin, and Docker's side of the network service;</li>
 * <li>{@code fabric}: the switch as the control layer sees it; {@code publish}: published ports (the 127.0.0.1
 *     proxy, host port choice, the {@code -p} syntax);</li>
 * <li>{@code ipam}, {@code netns}, {@code state}, {@code dns}: addresses, namespaces and {@code ip}, the journal,
 *     the sandboxes' resolver;</li>
 * <li>{@code lan}, {@code overlay}: macvlan/ipvlan networks, and the multi-host overlay on etcd;</li>
 * <li>{@code common}: the error type and the clean-up helpers every package uses; {@code demo}: {@code jvs demo}.</li>
 * </ul>
 */
package io.jvs.control;
