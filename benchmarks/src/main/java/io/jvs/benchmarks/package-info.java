package io.jvs.benchmarks;
