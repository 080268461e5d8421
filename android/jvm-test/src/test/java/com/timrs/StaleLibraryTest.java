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
 * An app shipping a stale {@code libtim_ffi.so}, one that loads but has other JNI names:
 * {@link TimNative#create} must not throw {@link UnsatisfiedLinkError} (the React Native module's
 * constructor would crash the app), and every call answers 6013 naming the mismatch. The stand-in
 * is a JDK library without any of TimNative's methods, copied under the name {@code
 * libtim_ffi.so} into the library path of a child JVM that runs {@link MissingLibraryTest.Main}.
 */
class StaleLibraryTest {
    @Test
    void aLibraryWithoutTheNativeMethodsAnswers6013NamingTheMismatch() throws Exception {
        Path folder = Files.createTempDirectory("stale-tim-ffi");
        Path stale = folder.resolve(System.mapLibraryName(TimNative.LIBRARY));
        Files.copy(Path.of(System.getProperty("java.home"), "lib", System.mapLibraryName("jaas")), stale);
        File java = new File(System.getProperty("java.home"), "bin/java");
        Process child = new ProcessBuilder(
                        java.getPath(),
                        "-Djava.library.path=" + folder,
                        "-cp", System.getProperty("java.class.path"),
                        MissingLibraryTest.Main.class.getName())
                .redirectErrorStream(true)
                .start();
        assertTrue(child.waitFor(Harness.WAIT_SECONDS, TimeUnit.SECONDS), "the child JVM ended");
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), out);
        String[] lines = out.strip().split("\n");
        assertEquals("loaded=false handle=0", lines[0], out);
        assertEquals(6013, TimServer.code(lines[1]), out);
        assertTrue(lines[1].contains("does not match"), out);
        assertTrue(lines[1].contains("nativeCreate"), out);
        assertTrue(lines[1].contains("scripts/build-android.sh"), out);
        assertEquals(lines[1], lines[2], "every call answers the same");
    }
}
