package io.jvs.control.cli;

import io.jvs.control.api.ApiRequest;
import io.jvs.control.api.ApiResponse;
import io.jvs.control.api.JvsApi;
import io.jvs.control.common.JvsVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** One version everywhere: the root pom's, as `jvs --version` and GET /version report it. */
class VersionTest
{
    @Test
    void cliAndApiReportThePomsVersion() throws IOException
    {
        final String pomVersion = rootPomVersion();
        assertEquals(pomVersion, JvsVersion.version());

        final StringWriter out = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--version"));
        assertEquals("jvs " + pomVersion, out.toString().trim());

        // The route answers without touching the network service.
        final ApiResponse response = new JvsApi(null).handle(new ApiRequest("GET", "/version", Map.of(), new byte[0]));
        assertEquals(200, response.status());
        assertEquals("{\"Version\":\"" + pomVersion + "\"}", new String(response.body(), StandardCharsets.UTF_8));
    }

    /** The parent's version in ../pom.xml (surefire runs in control/). */
    private static String rootPomVersion() throws IOException
    {
        final String pom = Files.readString(Path.of("..", "pom.xml"));
        final Matcher m = Pattern.compile("<artifactId>jvs-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), "root pom has a version");
        return m.group(1);
    }
}
