package com.timrs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
        String answer = MissingLibraryTest.answerWithLibraryPath(folder);
        assertTrue(answer.contains("does not match"), answer);
        assertTrue(answer.contains("nativeCreate"), answer);
    }
}
