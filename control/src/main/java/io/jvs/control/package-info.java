package io.jvs.control;
