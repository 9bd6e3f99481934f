package io.jvs.vxlan;
