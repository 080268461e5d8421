package com.timrs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An app built without {@code libtim_ffi}: {@link TimNative} must not throw from its class
 * initialiser (which would crash the React Native module's constructor), and every call answers
 * 6013 naming the library and how to build it. The JVM of this suite has the library loaded, so
 * the check runs {@link Main} in a child JVM whose library path is an empty folder.
 */
class MissingLibraryTest {
    @Test
    void everyCallAnswers6013NamingTheLibrary() throws Exception {
        String answer = answerWithLibraryPath(Files.createTempDirectory("no-tim-ffi"));
        assertTrue(answer.contains("libtim_ffi.so"), answer);
    }

    /**
     * Runs {@link Main} in a child JVM whose library path is {@code folder} and checks what every
     * such app sees: nothing loaded, handle 0, and the same 6013 for every call. Returns that answer.
     */
    static String answerWithLibraryPath(Path folder) throws Exception {
        File java = new File(System.getProperty("java.home"), "bin/java");
        Process child = new ProcessBuilder(
                        java.getPath(),
                        "-Djava.library.path=" + folder,
                        "-cp", System.getProperty("java.class.path"),
                        Main.class.getName())
                .redirectErrorStream(true)
                .start();
        assertTrue(child.waitFor(Harness.WAIT_SECONDS, TimeUnit.SECONDS), "the child JVM ended");
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), out);
        String[] lines = out.strip().split("\n");
        assertEquals("loaded=false handle=0", lines[0], out);
        assertEquals(6013, TimServer.code(lines[1]), out);
        assertTrue(lines[1].contains("scripts/build-android.sh"), out);
        assertEquals(lines[1], lines[2], "every call answers the same");
        return lines[1];
    }

    /** Uses TimNative as the module does, in a JVM that has no library to load. */
    public static final class Main {
        public static void main(String[] args) {
            TimNative.Sink sink = new TimNative.Sink() {
                @Override
                public void onEvent(String eventJson) {}

                @Override
                public void onResult(long requestId, String resultJson) {}
            };
            long handle = TimNative.create(sink);
            System.out.println("loaded=" + TimNative.isLoaded() + " handle=" + handle);
            System.out.println(TimNative.call(handle, 1, "initSDK", "{\"sdkAppID\":1,\"logLevel\":0}"));
            System.out.println(TimNative.call(handle, 2, "getLoginStatus", "{}"));
            TimNative.destroy(handle);
        }
    }
}
